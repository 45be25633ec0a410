//! Digest preferences and periods: how often a member hears of new matches, in which language,
//! at which local hour, and which period ("2026-12-01", "2026-W49") a digest composed now belongs
//! to. At most one digest is sent per member and period.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Offset, Timelike, Utc};

use super::string_enum;
use super::validation::FieldError;

string_enum!(
    /// How often digests arrive.
    Frequency {
        Daily => "daily",
        Weekly => "weekly",
        Off => "off",
    }
);

string_enum!(
    /// The language mail is written in.
    MailLanguage {
        ZhCn => "zh-CN",
        En => "en",
    }
);

impl MailLanguage {
    /// The language code the matcher's reason sentences use.
    pub fn reason_language(self) -> &'static str {
        match self {
            MailLanguage::ZhCn => "zh",
            MailLanguage::En => "en",
        }
    }
}

/// Time zones people may choose for the send hour. Each keeps one UTC offset all year (none of
/// them observes daylight saving time), so no time-zone database is needed.
const ZONES: &[(&str, i32)] = &[
    ("Asia/Shanghai", 8),
    ("Asia/Hong_Kong", 8),
    ("Asia/Macau", 8),
    ("Asia/Taipei", 8),
    ("Asia/Singapore", 8),
    ("Asia/Tokyo", 9),
    ("Asia/Seoul", 9),
    ("UTC", 0),
];

pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
pub const DEFAULT_SEND_HOUR: u8 = 8;
/// How far back a member's first digest (or the first after a pause) looks.
pub const LOOKBACK_DAYS: i64 = 14;

/// The names accepted as `timezone`.
pub fn timezones() -> impl Iterator<Item = &'static str> {
    ZONES.iter().map(|(name, _)| *name)
}

fn offset_of(timezone: &str) -> Option<FixedOffset> {
    let hours = ZONES.iter().find(|(name, _)| *name == timezone)?.1;
    FixedOffset::east_opt(hours * 3600)
}

/// A member's digest settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPreferences {
    pub frequency: Frequency,
    pub language: MailLanguage,
    /// 0 to 23, local time in `timezone`.
    pub send_hour: u8,
    pub timezone: String,
}

impl DigestPreferences {
    /// What a member who never chose gets: lab members hear daily, in Chinese, at 08:00 Beijing
    /// time; people on no team have nothing to hear about.
    pub fn default_for(on_a_team: bool) -> Self {
        Self {
            frequency: if on_a_team {
                Frequency::Daily
            } else {
                Frequency::Off
            },
            language: MailLanguage::ZhCn,
            send_hour: DEFAULT_SEND_HOUR,
            timezone: DEFAULT_TIMEZONE.to_owned(),
        }
    }

    /// Checks values as they arrive from a form or the API.
    pub fn parse(
        frequency: &str,
        language: &str,
        send_hour: i64,
        timezone: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let frequency = Frequency::parse(frequency);
        if frequency.is_none() {
            errors.push(FieldError::new(
                "frequency",
                "invalid",
                "须为 daily、weekly 或 off (must be daily, weekly or off)",
            ));
        }
        let language = MailLanguage::parse(language);
        if language.is_none() {
            errors.push(FieldError::new(
                "language",
                "invalid",
                "须为 zh-CN 或 en (must be zh-CN or en)",
            ));
        }
        let send_hour = u8::try_from(send_hour).ok().filter(|hour| *hour < 24);
        if send_hour.is_none() {
            errors.push(FieldError::new(
                "send_hour",
                "out_of_range",
                "须在 0 到 23 之间 (must be between 0 and 23)",
            ));
        }
        if offset_of(timezone).is_none() {
            errors.push(FieldError::new(
                "timezone",
                "invalid",
                format!(
                    "不支持的时区 (unsupported time zone); 可选 (choose from): {}",
                    timezones().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        match (frequency, language, send_hour) {
            (Some(frequency), Some(language), Some(send_hour)) if errors.is_empty() => Ok(Self {
                frequency,
                language,
                send_hour,
                timezone: timezone.to_owned(),
            }),
            _ => Err(errors),
        }
    }

    fn offset(&self) -> FixedOffset {
        // Stored preferences were checked on the way in; UTC is only a guard.
        offset_of(&self.timezone).unwrap_or_else(|| Utc.fix())
    }

    /// The period a digest composed at `now` belongs to, or `None` when digests are off.
    /// Daily periods are local dates; weekly ones ISO weeks starting on Monday.
    pub fn period(&self, now: DateTime<Utc>) -> Option<Period> {
        let local = now.with_timezone(&self.offset());
        let past_hour = local.hour() >= u32::from(self.send_hour);
        match self.frequency {
            Frequency::Off => None,
            Frequency::Daily => Some(Period {
                key: local.format("%Y-%m-%d").to_string(),
                due: past_hour,
            }),
            Frequency::Weekly => {
                let week = local.iso_week();
                Some(Period {
                    key: format!("{}-W{:02}", week.year(), week.week()),
                    due: local.weekday() != chrono::Weekday::Mon || past_hour,
                })
            }
        }
    }

    /// Formats an instant in the member's zone, for mail.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.offset())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// An instant as people in China read it (pages show times in Asia/Shanghai).
pub fn beijing_time(at: DateTime<Utc>) -> String {
    DigestPreferences::default_for(true).local_time(at)
}

/// One sending period of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Stable name of the period, unique per member and kind of mail.
    pub key: String,
    /// Whether the member's send hour has come in this period.
    pub due: bool,
}

/// The oldest match or decision a digest composed at `now` may carry.
pub fn lookback_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(LOOKBACK_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn prefs(frequency: Frequency, hour: u8) -> DigestPreferences {
        DigestPreferences {
            frequency,
            send_hour: hour,
            ..DigestPreferences::default_for(true)
        }
    }

    #[test]
    fn daily_periods_are_beijing_dates_and_due_from_the_send_hour() {
        // 23:30 UTC on 30 November is 07:30 on 1 December in Beijing.
        let before = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 12, 1, 0, 5, 0).unwrap();
        let daily = prefs(Frequency::Daily, 8);
        assert_eq!(
            daily.period(before),
            Some(Period {
                key: "2026-12-01".into(),
                due: false
            })
        );
        assert_eq!(
            daily.period(after),
            Some(Period {
                key: "2026-12-01".into(),
                due: true
            })
        );
        assert_eq!(prefs(Frequency::Off, 8).period(after), None);
    }

    #[test]
    fn weekly_periods_are_iso_weeks_due_from_monday_at_the_hour() {
        let monday_early = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap(); // Mon 04:00 CST
        let tuesday = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let weekly = prefs(Frequency::Weekly, 9);
        let early = weekly.period(monday_early).unwrap();
        assert_eq!(early.key, "2026-W49");
        assert!(!early.due);
        assert_eq!(
            weekly.period(tuesday),
            Some(Period {
                key: "2026-W49".into(),
                due: true
            })
        );
    }

    #[test]
    fn preferences_are_checked_field_by_field() {
        let errors = DigestPreferences::parse("hourly", "fr", 24, "Mars/Olympus").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["frequency", "language", "send_hour", "timezone"]);
        let ok = DigestPreferences::parse("weekly", "en", 0, "UTC").unwrap();
        assert_eq!(ok.frequency, Frequency::Weekly);
        assert_eq!(
            ok.local_time(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap()),
            "2026-01-02 03:04"
        );
    }
}
