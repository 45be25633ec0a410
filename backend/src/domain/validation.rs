//! Field-level validation shared by every input type: errors are collected, not thrown one at a
//! time, so a form shows all its problems at once.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's JSON path, e.g. `budget_max_cny` or `revenue_split.team`.
    pub field: String,
    /// A stable code: `required`, `too_long`, `out_of_range`, `invalid`, …
    pub code: String,
    /// Human message, Chinese first.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Collects field errors while an input is parsed into domain types.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Trims `value` and checks its length in characters (not bytes: Chinese is 3 bytes a char).
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let trimmed = value.trim();
        let chars = trimmed.chars().count();
        if chars < min {
            if min == 1 {
                self.push(field, "required", "不能为空 (must not be empty)");
            } else {
                self.push(
                    field,
                    "too_short",
                    format!("至少 {min} 个字符 (at least {min} characters)"),
                );
            }
        } else if chars > max {
            self.push(
                field,
                "too_long",
                format!("最多 {max} 个字符 (at most {max} characters)"),
            );
        } else if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            self.push(
                field,
                "invalid",
                "包含不允许的控制字符 (contains control characters)",
            );
        }
        trimmed.to_owned()
    }

    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value?;
        let text = self.text(field, value, 0, max);
        (!text.is_empty()).then_some(text)
    }

    pub fn range_i64(&mut self, field: &str, value: i64, min: i64, max: i64) -> i64 {
        if value < min || value > max {
            self.push(
                field,
                "out_of_range",
                format!("须在 {min} 到 {max} 之间 (must be between {min} and {max})"),
            );
        }
        value
    }

    /// A list of short tags, each trimmed, empty ones dropped, duplicates removed.
    pub fn tags(
        &mut self,
        field: &str,
        values: &[String],
        max_items: usize,
        max_chars: usize,
    ) -> Vec<String> {
        if values.len() > max_items {
            self.push(
                field,
                "too_many",
                format!("最多 {max_items} 项 (at most {max_items} items)"),
            );
        }
        let mut out: Vec<String> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let tag = self.text(&format!("{field}[{i}]"), value, 0, max_chars);
            if !tag.is_empty() && !out.contains(&tag) {
                out.push(tag);
            }
        }
        out
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_length_counts_characters_not_bytes() {
        let mut checker = Checker::new();
        let title = checker.text("title", "  肝切除断面渗血  ", 1, 7);
        assert_eq!(title, "肝切除断面渗血");
        assert!(checker.finish().is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut checker = Checker::new();
        checker.text("a", "", 1, 5);
        checker.text("b", "too long", 1, 3);
        checker.range_i64("c", -1, 0, 10);
        let errors = checker.finish().err().unwrap_or_default();
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["required", "too_long", "out_of_range"]);
    }
}
