//! How much work one diagnosis may do: the input may be hostile.

/// Limits on the work of one diagnosis: the input may be hostile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most candidates tried, each one signature computed over a message
    /// (default 256).
    pub max_candidates: usize,
    /// Largest body a decompression may produce, in bytes (default 8 MiB);
    /// a body that inflates past it is not tried.
    pub max_decompressed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_candidates: 256,
            max_decompressed: 8 << 20,
        }
    }
}

/// How many candidates are left.
pub(super) struct Budget {
    left: usize,
}

impl Budget {
    /// A budget of `candidates`.
    pub(super) fn new(candidates: usize) -> Self {
        Budget { left: candidates }
    }

    /// Takes one candidate from the budget; `false` when none is left.
    pub(super) fn spend(&mut self) -> bool {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }
}
