//! The documented divergences: each entry's id is a section of
//! CONFORMANCE.md. The harness forgives a difference only when an entry
//! here recognises it; any other difference fails the run.

use crate::gen::Step;
use crate::normalise::Out;

/// Where two runs of a program first differ.
pub struct Diff<'p> {
    pub program: &'p [Step],
    /// The index of the step that differs.
    pub at: usize,
    pub linux: &'p [Out],
    pub smol: &'p [Out],
}

impl Diff<'_> {
    pub fn step(&self) -> Step {
        self.program[self.at]
    }
    pub fn linux(&self) -> &Out {
        &self.linux[self.at]
    }
    pub fn smol(&self) -> &Out {
        &self.smol[self.at]
    }
}

/// A documented divergence.
pub struct Known {
    /// Its id in CONFORMANCE.md.
    pub id: &'static str,
    /// Whether the programs' states stay the same after it (then the
    /// comparison goes on; else it stops at this step).
    pub continues: bool,
    pub matches: fn(&Diff<'_>) -> bool,
}

fn is_err(o: &Out, name: &str) -> bool {
    matches!(o, Out::Err(e) if e == name)
}

/// Every documented divergence.
pub const KNOWN: &[Known] = &[];

/// The documented divergence this difference is, if any.
pub fn recognise(d: &Diff<'_>) -> Option<&'static Known> {
    KNOWN.iter().find(|k| (k.matches)(d))
}
