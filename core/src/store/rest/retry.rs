//! MLflow's client retry policy (urllib3 2.x `Retry` as MLflow configures it): which answers are
//! retried, how long to wait before each retry, and `Retry-After`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{FailureClass, HttpFailure};
use crate::error::{Error, Result};

/// MLflow's `_MLFLOW_HTTP_REQUEST_MAX_RETRIES_LIMIT`.
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// MLflow's `_MLFLOW_HTTP_REQUEST_MAX_BACKOFF_FACTOR_LIMIT`.
pub const BACKOFF_FACTOR_LIMIT: f64 = 120.0;
/// urllib3's `DEFAULT_BACKOFF_MAX`: no computed backoff sleeps longer. We also cap a server's
/// `Retry-After` at it (urllib3 does not), so one answer can never park a call for hours.
pub const BACKOFF_MAX: Duration = Duration::from_secs(120);

/// Statuses MLflow retries (`status_forcelist`).
pub const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];
/// Statuses whose `Retry-After` urllib3 honours (413 is retried only when it carries one).
pub const RETRY_AFTER_STATUSES: [u16; 3] = [413, 429, 503];

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (7): retries after the first attempt, 0..=10.
    pub max_retries: u32,
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` (2 s), 0..=120.
    pub backoff_factor: f64,
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` (1.0 s): uniform random seconds added to each backoff.
    pub backoff_jitter: f64,
    /// `MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER` (true).
    pub respect_retry_after: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 7, backoff_factor: 2.0, backoff_jitter: 1.0, respect_retry_after: true }
    }
}

impl RetryPolicy {
    /// Checks the limits MLflow enforces (`_validate_max_retries`, `_validate_backoff_factor`).
    pub fn validate(&self) -> Result<()> {
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::invalid(format!(
                "MLFLOW_HTTP_REQUEST_MAX_RETRIES={} is in excess of the maximum allowable retries ({MAX_RETRIES_LIMIT})",
                self.max_retries
            )));
        }
        if !(0.0..=BACKOFF_FACTOR_LIMIT).contains(&self.backoff_factor) {
            return Err(Error::invalid(format!(
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR={} must be between 0 and {BACKOFF_FACTOR_LIMIT}",
                self.backoff_factor
            )));
        }
        if !(self.backoff_jitter >= 0.0 && self.backoff_jitter.is_finite()) {
            return Err(Error::invalid(format!(
                "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER={} must be a non-negative number",
                self.backoff_jitter
            )));
        }
        Ok(())
    }

    /// Whether an HTTP status is worth another attempt (`has_retry_after`: the answer carried a
    /// usable `Retry-After`).
    pub fn is_retryable_status(&self, status: u16, has_retry_after: bool) -> bool {
        RETRY_STATUSES.contains(&status)
            || (self.respect_retry_after && has_retry_after && RETRY_AFTER_STATUSES.contains(&status))
    }

    /// The server's `Retry-After` for this status, if the policy honours it.
    pub fn honoured_retry_after(&self, status: u16, header: Option<&str>) -> Option<Duration> {
        if !self.respect_retry_after || !RETRY_AFTER_STATUSES.contains(&status) {
            return None;
        }
        parse_retry_after(header?, SystemTime::now())
    }

    /// The wait before retry number `retry` (1-based): the server's `Retry-After` when given,
    /// else urllib3's backoff — 0 for the first retry, then `factor·2^(retry-1) + U(0, jitter)`,
    /// at most [`BACKOFF_MAX`].
    /// What a retry loop does after its attempt number `attempts` failed: `Ok(wait)` before the
    /// next attempt, or `Err((error, spent))` to give up — at once for a failure retrying cannot
    /// fix (`spent` false), or because the retries allowed are used up (`spent` true).
    pub(crate) fn after_failure(&self, attempts: u32, failure: HttpFailure) -> Result<Duration, (Error, bool)> {
        let retry_after = match &failure.class {
            FailureClass::Fatal => return Err((failure.error, false)),
            FailureClass::Connection => None,
            FailureClass::RetryableStatus { retry_after, .. } => *retry_after,
        };
        if attempts > self.max_retries {
            return Err((failure.error, true));
        }
        Ok(self.delay(attempts, retry_after))
    }

    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(BACKOFF_MAX);
        }
        if retry <= 1 {
            return Duration::ZERO;
        }
        let exp = 2f64.powi((retry - 1).min(30) as i32);
        let secs = self.backoff_factor * exp + fastrand::f64() * self.backoff_jitter;
        Duration::from_secs_f64(secs.clamp(0.0, BACKOFF_MAX.as_secs_f64()))
    }
}

/// `Retry-After: <seconds>` or `Retry-After: <IMF-fixdate>` (RFC 9110 §10.2.3); a date in the
/// past means "now". Anything else is ignored (the backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX).min(u32::MAX as u64)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let (_, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    if parts.len() != 5 || parts[4] != "GMT" {
        return None;
    }
    let day: u32 = parts[0].parse().ok()?;
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == parts[1])? as u32 + 1;
    let year: i64 = parts[2].parse().ok()?;
    let hms: Vec<u64> = parts[3].split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if hms.len() != 3 || hms[0] > 23 || hms[1] > 59 || hms[2] > 60 || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + (hms[0] * 3600 + hms[1] * 60 + hms[2]) as i64;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_follows_urllib3() {
        let p = RetryPolicy { backoff_jitter: 0.0, ..RetryPolicy::default() };
        let secs: Vec<u64> = (1..=8).map(|n| p.delay(n, None).as_secs()).collect();
        assert_eq!(secs, [0, 4, 8, 16, 32, 64, 120, 120]);
        let j = RetryPolicy::default();
        for _ in 0..100 {
            let d = j.delay(2, None).as_secs_f64();
            assert!((4.0..=5.0).contains(&d), "{d}");
        }
        assert_eq!(p.delay(3, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(p.delay(3, Some(Duration::from_secs(100_000))), BACKOFF_MAX);
    }

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // Sun, 06 Nov 1994 08:49:30 GMT
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retryable_statuses() {
        let p = RetryPolicy::default();
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(p.is_retryable_status(s, false));
        }
        for s in [400, 401, 403, 404, 409, 413, 501] {
            assert!(!p.is_retryable_status(s, false));
        }
        assert!(p.is_retryable_status(413, true));
        assert!(p.validate().is_ok());
        assert!(RetryPolicy { max_retries: 11, ..p.clone() }.validate().is_err());
        assert!(RetryPolicy { backoff_factor: 121.0, ..p }.validate().is_err());
    }
}
