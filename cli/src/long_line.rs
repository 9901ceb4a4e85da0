//! One warning per over-long line, not one per piece: a 1 MiB line comes to
//! the handler as 1,024 pieces of 1 KiB, and the log should say so once.
/// Which sessions are in the middle of an over-long line.
#[derive(Debug, Default)]
pub struct LongLines {
    open: Vec<u32>,
}

impl LongLines {
    /// A piece of a line arrived for `session`; true if this is the first
    /// piece of an over-long line (warn now), false otherwise.
    pub fn piece(&mut self, session: u32, truncated: bool, terminated: bool) -> bool {
        let seen = self.open.contains(&session);
        let first = truncated && !seen;
        if truncated && !terminated {
            if !seen {
                self.open.push(session);
            }
        } else {
            self.forget(session);
        }
        first
    }

    /// `session` closed.
    pub fn forget(&mut self, session: u32) {
        self.open.retain(|s| *s != session);
    }
}
