//! dos-config: the one way dos-rs checks a user-facing configuration, after linfa's
//! `param_guard.rs`.
//!
//! A settings type (`GnnConfig`, `ModelConfig`, `TrainConfig`, `GraphConfig`, ...) is plain
//! data: presets, serde and struct literals build it without checks. [`Check::check`] checks
//! every field once and returns the checked type, which is what constructors and loops take:
//! code past that point trusts the fields. The checked type is [`Checked<T>`] when the
//! settings are all it needs, or a type of the settings' crate that also holds what the
//! check built (featurisers, an energy grid).
//!
//! A settings type whose checked type is [`Checked<T>`] implements [`CheckFields`]; `check`
//! then comes with it, and it is the only way to make a `Checked<T>`: holding one means the
//! fields were checked. A part of checked settings (a sub-block's config, an enum's payload)
//! is checked in its turn with its own `check`.
//!
//! ```
//! use dos_config::{Check, CheckFields};
//!
//! #[derive(Clone)]
//! struct Widths {
//!     hidden: usize,
//! }
//!
//! impl CheckFields for Widths {
//!     type Error = String;
//!     fn check_fields(&self) -> Result<(), String> {
//!         match self.hidden {
//!             0 => Err("`hidden` must be >= 1".into()),
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! let checked = Widths { hidden: 8 }.check().unwrap();
//! assert_eq!(checked.hidden, 8);
//! assert!(Widths { hidden: 0 }.check().is_err());
//! ```

use std::ops::Deref;

/// A configuration that checks its fields once into the type the code trusts.
pub trait Check {
    /// What the check returns: [`Checked<Self>`], or a type that also holds what the check
    /// built.
    type Checked;
    /// The crate's error, naming the first field out of range.
    type Error;

    /// Checks every field.
    ///
    /// # Errors
    /// The first field out of range, by name, with the range it must lie in.
    fn check(&self) -> Result<Self::Checked, Self::Error>;
}

/// Settings checked into [`Checked<Self>`]: every type implementing this gets
/// [`Check`] with `Checked = Checked<Self>`.
pub trait CheckFields: Clone {
    /// The crate's error, naming the first field out of range.
    type Error;

    /// Checks every field.
    ///
    /// # Errors
    /// The first field out of range, by name, with the range it must lie in.
    fn check_fields(&self) -> Result<(), Self::Error>;

    /// Checks what can only be checked once the fields are (a model's parameter count,
    /// counted by building the model from the checked settings); nothing by default.
    ///
    /// # Errors
    /// The first limit the whole exceeds.
    fn check_whole(_checked: &Checked<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl<T: CheckFields> Check for T {
    type Checked = Checked<T>;
    type Error = T::Error;

    /// [`CheckFields::check_fields`], then [`CheckFields::check_whole`] on the checked copy.
    fn check(&self) -> Result<Checked<T>, T::Error> {
        self.check_fields()?;
        let checked = Checked(self.clone());
        T::check_whole(&checked)?;
        Ok(checked)
    }
}

/// Settings `T` whose [`Check::check`] succeeded; dereferences to `T`.
///
/// Made only by the `check` that [`CheckFields`] gives, so holding one means the fields were
/// checked: no other constructor exists.
///
/// ```compile_fail
/// // The field is private: an unchecked value cannot be wrapped by hand.
/// let unchecked = dos_config::Checked(0usize);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T>(T);

impl<T> Checked<T> {
    /// The checked settings.
    pub fn get(&self) -> &T {
        &self.0
    }

    /// The checked settings, by value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Range {
        lo: i32,
        hi: i32,
    }

    impl CheckFields for Range {
        type Error = String;
        fn check_fields(&self) -> Result<(), String> {
            if self.lo < self.hi {
                Ok(())
            } else {
                Err(format!("`hi`: {} must exceed lo = {}", self.hi, self.lo))
            }
        }
        fn check_whole(checked: &Checked<Self>) -> Result<(), String> {
            match checked.hi - checked.lo {
                w if w > 10 => Err(format!("the range is {w} wide, above 10")),
                _ => Ok(()),
            }
        }
    }

    #[test]
    fn check_keeps_good_values_and_names_the_bad_field() {
        let good = Range { lo: 1, hi: 3 }.check().unwrap();
        assert_eq!(good.get(), &Range { lo: 1, hi: 3 });
        assert_eq!(good.hi, 3);
        assert_eq!(good.into_inner(), Range { lo: 1, hi: 3 });
        let err = Range { lo: 3, hi: 1 }.check().unwrap_err();
        assert_eq!(err, "`hi`: 1 must exceed lo = 3");
    }

    #[test]
    fn the_whole_is_checked_after_the_fields() {
        let err = Range { lo: 0, hi: 20 }.check().unwrap_err();
        assert_eq!(err, "the range is 20 wide, above 10");
        // A field error comes first, before the whole is looked at.
        let err = Range { lo: 20, hi: 0 }.check().unwrap_err();
        assert_eq!(err, "`hi`: 0 must exceed lo = 20");
    }
}
