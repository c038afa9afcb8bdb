//! Element data (symbol, mass, ...) taken from the `mendeleev` crate.

/// Properties of one chemical element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Element {
    /// Atomic number Z.
    pub z: u8,
    /// Chemical symbol, e.g. `Fe`.
    pub symbol: &'static str,
    /// Standard atomic weight in amu (conventional value; most stable isotope when unknown).
    pub mass: f64,
}

impl Element {
    /// The element with atomic number `z` (1..=118), or `None`.
    pub fn from_z(z: u8) -> Option<Self> {
        let e = *mendeleev::Element::list().get(usize::from(z).checked_sub(1)?)?;
        Some(Self {
            z,
            symbol: e.symbol(),
            mass: f64::from(e.atomic_weight()),
        })
    }

    /// The element with chemical symbol `symbol` (case-sensitive, e.g. `Fe`), or `None`.
    pub fn from_symbol(symbol: &str) -> Option<Self> {
        let i = mendeleev::Element::list()
            .iter()
            .position(|e| e.symbol() == symbol)?;
        Self::from_z(u8::try_from(i + 1).ok()?)
    }
}
