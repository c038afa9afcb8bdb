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
//! ```
//! use dos_config::{Check, Checked};
//!
//! #[derive(Clone)]
//! struct Widths {
//!     hidden: usize,
//! }
//!
//! impl Check for Widths {
//!     type Checked = Checked<Widths>;
//!     type Error = String;
//!     fn check(&self) -> Result<Checked<Widths>, String> {
//!         Checked::after(self, |w| match w.hidden {
//!             0 => Err("`hidden` must be >= 1".into()),
//!             _ => Ok(()),
//!         })
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

/// Settings `T` whose [`Check::check`] succeeded; dereferences to `T`.
///
/// Built only by [`Checked::after`], which runs the check, so holding one means the fields
/// were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T>(T);

impl<T: Clone> Checked<T> {
    /// A copy of `value` once `check_fields` accepted it (the body of a [`Check::check`]
    /// whose checked type is `Checked<T>`).
    ///
    /// # Errors
    /// The error of `check_fields`.
    pub fn after<E>(value: &T, check_fields: impl FnOnce(&T) -> Result<(), E>) -> Result<Self, E> {
        check_fields(value)?;
        Ok(Self(value.clone()))
    }
}

impl<T> Checked<T> {
    /// The checked settings.
    pub fn get(&self) -> &T {
        &self.0
    }

    /// The checked settings, by value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Settings derived from these (a sub-block's config, a variant's payload), as checked.
    ///
    /// For parts whose own check the check of `T` includes (a `Check` impl checks its parts),
    /// so that a model built from checked settings builds its blocks without checking again.
    pub fn part<U>(&self, f: impl FnOnce(&T) -> U) -> Checked<U> {
        Checked(f(&self.0))
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

    impl Check for Range {
        type Checked = Checked<Range>;
        type Error = String;
        fn check(&self) -> Result<Checked<Range>, String> {
            Checked::after(self, |r| {
                if r.lo < r.hi {
                    Ok(())
                } else {
                    Err(format!("`hi`: {} must exceed lo = {}", r.hi, r.lo))
                }
            })
        }
    }

    /// Shifting a range keeps it valid: a part of checked settings.
    fn good_part(r: &Checked<Range>) -> Checked<Range> {
        r.part(|r| Range {
            lo: r.lo + 1,
            hi: r.hi + 1,
        })
    }

    #[test]
    fn check_keeps_good_values_and_names_the_bad_field() {
        let good = Range { lo: 1, hi: 3 }.check().unwrap();
        assert_eq!(good.get(), &Range { lo: 1, hi: 3 });
        assert_eq!(good.hi, 3);
        assert_eq!(good.into_inner(), Range { lo: 1, hi: 3 });
        let shifted = good_part(&Range { lo: 1, hi: 3 }.check().unwrap());
        assert_eq!(shifted.lo, 2);
        let err = Range { lo: 3, hi: 1 }.check().unwrap_err();
        assert_eq!(err, "`hi`: 1 must exceed lo = 3");
    }
}
