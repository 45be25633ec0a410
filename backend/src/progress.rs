//! A progress bar for long commands, drawn on standard error only when it is a terminal.

use std::io::{IsTerminal, Write};

/// Draws `label [#####.....] done/total` in place; silent when standard error is not a terminal.
#[derive(Debug)]
pub struct ProgressBar {
    label: String,
    visible: bool,
    drawn: bool,
}

const WIDTH: usize = 30;

impl ProgressBar {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            visible: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    pub fn update(&mut self, done: usize, total: usize) {
        if !self.visible {
            return;
        }
        let filled = (done * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r{} [{}{}] {done}/{total}",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled)
        );
        let _ = stderr.flush();
        self.drawn = true;
    }

    pub fn finish(self) {
        if self.drawn {
            eprintln!();
        }
    }
}
