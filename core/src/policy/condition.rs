//! The `Condition` element of a key policy: operators, condition keys, the values a request
//! brings ([`ConditionValues`]) and the evaluation of one condition against them.
//!
//! Everything a condition needs is compiled when the policy is parsed: key names are lower-cased,
//! numbers, dates, IP ranges, ARNs and base64 values are parsed, and `*`/`?` patterns become
//! token lists. Evaluating a condition then does no JSON work and allocates nothing.
//!
//! The rules follow the IAM reference pages "IAM JSON policy elements: Condition operators" and
//! "Single-valued vs. multivalued context keys":
//! - several values for one key in the policy are ORed; several keys or operators are ANDed;
//! - a key missing from the request makes a positive operator false and a negated one
//!   (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`...) true; `...IfExists` makes any operator
//!   true on a missing key; `Null` tests presence;
//! - a negated operator with several policy values is true only if the request value matches
//!   none of them (NOR);
//! - `ForAnyValue:` is true if at least one request value satisfies the operator (false on a
//!   missing or empty key); `ForAllValues:` is true if every request value does (vacuously true
//!   on a missing or empty key).
//!
//! Keystead's decisions where AWS documents none:
//! - a plain (unqualified) operator on a key with several request values: a positive operator is
//!   true if any request value matches; a negated one is true if none does;
//! - a request value that cannot be read as the operator's type (a number, date, IP address,
//!   ARN or boolean) matches no policy value, so a positive operator is false and a negated one
//!   true for it;
//! - an empty list of request values counts as a missing key (for `Null` as well).
//! - condition key names are case-insensitive as a whole, including the `<context-key>` part of
//!   `kms:EncryptionContext:<context-key>` (AWS: condition key names are not case sensitive; use
//!   `kms:EncryptionContextKeys` to require a case-sensitive key). Values compare per operator.
//! - policy variables (`${aws:username}`) are not expanded: `$`, `{` and `}` are literal.

use std::collections::HashMap;
use std::net::IpAddr;

use base64::Engine;

use crate::clock::Millis;
use crate::error::{Error, ErrorKind, Result};

/// Builds the `MalformedPolicyDocumentException` every parse failure turns into.
pub(crate) fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedPolicyDocument, message)
}

// ---------------------------------------------------------------------------------------------
// Wildcard patterns
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Lit(char),
    AnyOne,
    AnyRun,
}

/// A compiled `*` / `?` pattern (`*` matches any run of characters, `?` exactly one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Glob {
    /// Matches everything (the pattern was only stars).
    All,
    /// No wildcard: plain comparison.
    Exact(String),
    /// A literal followed by one final `*` (`kms:*`, `kms:Get*`, the common action forms): a
    /// prefix comparison.
    Prefix(String),
    /// Tokens, matched by the classic backtracking-to-last-star loop.
    Pattern(Vec<Token>),
}

impl Glob {
    /// Compiles `pattern`. With `fold_ascii` the pattern is stored lower-cased and matching
    /// ignores ASCII case (used for action names, which AWS compares case-insensitively).
    pub(crate) fn new(pattern: &str, fold_ascii: bool) -> Self {
        let pattern = if fold_ascii { pattern.to_ascii_lowercase() } else { pattern.to_owned() };
        if !pattern.is_empty() && pattern.bytes().all(|b| b == b'*') {
            return Self::All;
        }
        if !pattern.contains(['*', '?']) {
            return Self::Exact(pattern);
        }
        if let Some(literal) = pattern.strip_suffix('*') {
            if !literal.contains(['*', '?']) {
                return Self::Prefix(literal.to_owned());
            }
        }
        let mut tokens = Vec::with_capacity(pattern.len());
        for c in pattern.chars() {
            let token = match c {
                '*' => Token::AnyRun,
                '?' => Token::AnyOne,
                c => Token::Lit(c),
            };
            // Consecutive stars are one star; keeping one makes backtracking cheaper.
            if !(token == Token::AnyRun && tokens.last() == Some(&Token::AnyRun)) {
                tokens.push(token);
            }
        }
        Self::Pattern(tokens)
    }

    /// Does `text` match? `fold_ascii` must be the value the glob was compiled with.
    pub(crate) fn matches(&self, text: &str, fold_ascii: bool) -> bool {
        match self {
            Self::All => true,
            Self::Exact(p) => {
                if fold_ascii {
                    p.eq_ignore_ascii_case(text)
                } else {
                    p == text
                }
            }
            Self::Prefix(p) => {
                // Byte-wise: an exact UTF-8 prefix is a character prefix, and ASCII folding
                // never touches the bytes of other characters.
                text.len() >= p.len() && {
                    let head = &text.as_bytes()[..p.len()];
                    if fold_ascii {
                        head.eq_ignore_ascii_case(p.as_bytes())
                    } else {
                        head == p.as_bytes()
                    }
                }
            }
            Self::Pattern(tokens) => glob_match(tokens, text, fold_ascii),
        }
    }
}

fn chars_equal(pattern: char, text: char, fold_ascii: bool) -> bool {
    if fold_ascii {
        pattern == text.to_ascii_lowercase()
    } else {
        pattern == text
    }
}

/// Iterative wildcard match: on a mismatch, go back to the last `*` and let it swallow one more
/// character. Linear in practice, O(n·m) worst case, never recursive (no stack growth on
/// hostile patterns).
fn glob_match(tokens: &[Token], text: &str, fold_ascii: bool) -> bool {
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None; // (token after the star, text position)
    while ti < text.len() {
        let Some(c) = text[ti..].chars().next() else { break };
        if let Some(token) = tokens.get(pi) {
            match token {
                Token::AnyRun => {
                    pi += 1;
                    backtrack = Some((pi, ti));
                    continue;
                }
                Token::AnyOne => {
                    pi += 1;
                    ti += c.len_utf8();
                    continue;
                }
                Token::Lit(l) if chars_equal(*l, c, fold_ascii) => {
                    pi += 1;
                    ti += c.len_utf8();
                    continue;
                }
                Token::Lit(_) => {}
            }
        }
        match backtrack {
            Some((star_pi, star_ti)) => {
                let Some(skipped) = text[star_ti..].chars().next() else { return false };
                let next_ti = star_ti + skipped.len_utf8();
                backtrack = Some((star_pi, next_ti));
                pi = star_pi;
                ti = next_ti;
            }
            None => return false,
        }
    }
    tokens[pi.min(tokens.len())..].iter().all(|t| *t == Token::AnyRun)
}

// ---------------------------------------------------------------------------------------------
// Condition keys
// ---------------------------------------------------------------------------------------------

/// The condition keys Keystead knows, lower-cased. Anything else is rejected at parse time
/// (AWS KMS rejects unknown `kms:` keys; Keystead has no other service, so other prefixes are
/// mistakes too).
const KNOWN_KEYS: &[&str] = &[
    "kms:bypasspolicylockoutsafetycheck",
    "kms:calleraccount",
    "kms:customermasterkeyspec",
    "kms:customermasterkeyusage",
    "kms:datakeypairspec",
    "kms:encryptionalgorithm",
    "kms:encryptioncontextkeys",
    "kms:expirationmodel",
    "kms:grantconstrainttype",
    "kms:grantisforawsresource",
    "kms:grantoperations",
    "kms:granteeprincipal",
    "kms:keyagreementalgorithm",
    "kms:keymanager",
    "kms:keyorigin",
    "kms:keyspec",
    "kms:keyusage",
    "kms:macalgorithm",
    "kms:messagetype",
    "kms:multiregion",
    "kms:multiregionkeytype",
    "kms:policyname",
    "kms:primaryregion",
    "kms:reencryptonsamekey",
    "kms:replicaregion",
    "kms:requestalias",
    "kms:resourcealiases",
    "kms:retiringprincipal",
    "kms:rotationperiodindays",
    "kms:schedulekeydeletionpendingwindowindays",
    "kms:signingalgorithm",
    "kms:validto",
    "kms:viaservice",
    "kms:wrappingalgorithm",
    "kms:wrappingkeyspec",
    "aws:currenttime",
    "aws:epochtime",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principaltype",
    "aws:securetransport",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceip",
    "aws:tagkeys",
    "aws:userid",
    "aws:username",
    "aws:viaawsservice",
];

/// Key families whose name ends in a caller-chosen part (`kms:EncryptionContext:<key>`...).
const OPEN_ENDED_PREFIXES: &[&str] =
    &["kms:encryptioncontext:", "aws:requesttag/", "aws:resourcetag/", "aws:principaltag/"];

/// Checks a condition key name and returns it lower-cased (the form lookups use).
pub(crate) fn normalize_key(name: &str) -> Result<String> {
    let lower = name.to_ascii_lowercase();
    let known = KNOWN_KEYS.contains(&lower.as_str())
        || OPEN_ENDED_PREFIXES.iter().any(|p| lower.len() > p.len() && lower.starts_with(p));
    if known {
        Ok(lower)
    } else {
        Err(malformed(format!("Policy contains a statement with an unknown condition key: '{name}'")))
    }
}

// ---------------------------------------------------------------------------------------------
// Request values
// ---------------------------------------------------------------------------------------------

/// The condition keys of one request and their values. Key names are case-insensitive; a key
/// can hold several values (`kms:EncryptionContextKeys`, `kms:GrantOperations`, `aws:TagKeys`,
/// `kms:ResourceAliases`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConditionValues {
    values: HashMap<String, Vec<String>>,
}

impl ConditionValues {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// No keys, with room for `capacity` of them (a request typically sets 10 to 20).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { values: HashMap::with_capacity(capacity) }
    }

    /// Sets `key` to the single `value` (replacing what it held).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets the multi-valued `key` to `values` (replacing what it held). An empty list counts
    /// as a missing key.
    pub fn set_multi<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values.insert(key.to_ascii_lowercase(), values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets a boolean key (`"true"` / `"false"`).
    pub fn set_bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.set(key, if value { "true" } else { "false" })
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.values.remove(&key.to_ascii_lowercase());
        self
    }

    /// Sets `kms:EncryptionContext:<k>` for every pair and `kms:EncryptionContextKeys` to the
    /// keys, as KMS does for a request that carries an encryption context.
    pub fn set_encryption_context<'a, I>(&mut self, pairs: I) -> &mut Self
    where
        I: IntoIterator<Item = (&'a String, &'a String)>,
    {
        let mut keys = Vec::new();
        for (k, v) in pairs {
            self.set(&format!("kms:EncryptionContext:{k}"), v.clone());
            keys.push(k.clone());
        }
        self.set_multi("kms:EncryptionContextKeys", keys)
    }

    /// Sets `aws:CurrentTime` (ISO 8601, UTC) and `aws:EpochTime` (seconds) to `now_ms`.
    pub fn set_request_time(&mut self, now_ms: Millis) -> &mut Self {
        self.set("aws:CurrentTime", format_iso8601(now_ms));
        self.set("aws:EpochTime", now_ms.div_euclid(1000).to_string())
    }

    /// The values of `key` (any case), if set.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.values.get(key) {
            Some(v) => Some(v),
            None => self.values.get(&key.to_ascii_lowercase()).map(Vec::as_slice),
        }
    }

    /// Lookup with an already lower-cased key (the evaluator's path; no allocation).
    pub(crate) fn get_lower(&self, lower_key: &str) -> Option<&[String]> {
        self.values.get(lower_key).map(Vec::as_slice)
    }

    /// Is the set empty?
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The values a request has for one key, whichever way they were supplied.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RequestValues<'a> {
    Missing,
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> RequestValues<'a> {
    fn is_missing(&self) -> bool {
        match self {
            Self::Missing => true,
            Self::One(_) => false,
            Self::Many(v) => v.is_empty(),
        }
    }

    fn any(&self, mut f: impl FnMut(&'a str) -> bool) -> bool {
        match *self {
            Self::Missing => false,
            Self::One(v) => f(v),
            Self::Many(vs) => vs.iter().any(|v| f(v)),
        }
    }

    fn all(&self, mut f: impl FnMut(&'a str) -> bool) -> bool {
        match *self {
            Self::Missing => true,
            Self::One(v) => f(v),
            Self::Many(vs) => vs.iter().all(|v| f(v)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetQualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Operator {
    family: Family,
    cmp: Cmp,
    negated: bool,
    if_exists: bool,
    set: SetQualifier,
}

fn parse_operator(name: &str) -> Result<Operator> {
    let unknown = || malformed(format!("Policy contains a statement with an unknown condition operator: '{name}'"));
    let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (SetQualifier::ForAnyValue, rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (SetQualifier::ForAllValues, rest)
    } else {
        (SetQualifier::None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    use Cmp::{Eq, Ge, Gt, Le, Lt};
    use Family::{Arn, Binary, Bool, Date, Ip, Null, Numeric, String, StringIgnoreCase, StringLike};
    let (family, cmp, negated) = match base {
        "StringEquals" => (String, Eq, false),
        "StringNotEquals" => (String, Eq, true),
        "StringEqualsIgnoreCase" => (StringIgnoreCase, Eq, false),
        "StringNotEqualsIgnoreCase" => (StringIgnoreCase, Eq, true),
        "StringLike" => (StringLike, Eq, false),
        "StringNotLike" => (StringLike, Eq, true),
        "NumericEquals" => (Numeric, Eq, false),
        "NumericNotEquals" => (Numeric, Eq, true),
        "NumericLessThan" => (Numeric, Lt, false),
        "NumericLessThanEquals" => (Numeric, Le, false),
        "NumericGreaterThan" => (Numeric, Gt, false),
        "NumericGreaterThanEquals" => (Numeric, Ge, false),
        "DateEquals" => (Date, Eq, false),
        "DateNotEquals" => (Date, Eq, true),
        "DateLessThan" => (Date, Lt, false),
        "DateLessThanEquals" => (Date, Le, false),
        "DateGreaterThan" => (Date, Gt, false),
        "DateGreaterThanEquals" => (Date, Ge, false),
        "Bool" => (Bool, Eq, false),
        "BinaryEquals" => (Binary, Eq, false),
        "IpAddress" => (Ip, Eq, false),
        "NotIpAddress" => (Ip, Eq, true),
        // ArnEquals and ArnLike behave the same in AWS: both take wildcards per ARN component.
        "ArnEquals" | "ArnLike" => (Arn, Eq, false),
        "ArnNotEquals" | "ArnNotLike" => (Arn, Eq, true),
        "Null" => (Null, Eq, false),
        _ => return Err(unknown()),
    };
    // AWS offers no NullIfExists (it would be meaningless), and set qualifiers on Null are not
    // documented either.
    if family == Null && (if_exists || set != SetQualifier::None) {
        return Err(unknown());
    }
    Ok(Operator { family, cmp, negated, if_exists, set })
}

// ---------------------------------------------------------------------------------------------
// Policy values
// ---------------------------------------------------------------------------------------------

/// One value of a condition, compiled for its operator's family.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    /// Lower-cased (for the IgnoreCase family).
    Folded(String),
    Glob(Glob),
    Num(f64),
    Date(Millis),
    Bool(bool),
    Bytes(Vec<u8>),
    Ip(IpNet),
    /// Six component patterns (`arn:partition:service:region:account:resource`) or, for a
    /// value with fewer components, one pattern over the whole string.
    Arn(Vec<Glob>),
    Null(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.trim().parse::<IpAddr>().ok()?, Some(p.trim().parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The text of a scalar condition value: strings as they are, numbers and booleans as JSON
/// prints them (AWS accepts `"Bool": {"k": true}` and `"NumericLessThan": {"k": 10}`).
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn compile_value(family: Family, operator: &str, key: &str, text: &str) -> Result<Value> {
    let bad = |what: &str| {
        malformed(format!(
            "Policy contains an invalid value '{text}' for condition operator {operator} on key {key}: {what}"
        ))
    };
    Ok(match family {
        Family::String => Value::Str(text.to_owned()),
        Family::StringIgnoreCase => Value::Folded(text.to_lowercase()),
        Family::StringLike => Value::Glob(Glob::new(text, false)),
        Family::Numeric => Value::Num(parse_number(text).ok_or_else(|| bad("expected a number"))?),
        Family::Date => Value::Date(parse_date(text).ok_or_else(|| bad("expected an ISO 8601 date or epoch seconds"))?),
        Family::Bool => Value::Bool(parse_bool(text).ok_or_else(|| bad("expected true or false"))?),
        Family::Binary => {
            Value::Bytes(base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| bad("expected base64"))?)
        }
        Family::Ip => Value::Ip(IpNet::parse(text).ok_or_else(|| bad("expected an IP address or CIDR range"))?),
        Family::Arn => Value::Arn(compile_arn(text)),
        Family::Null => Value::Null(parse_bool(text).ok_or_else(|| bad("expected true or false"))?),
    })
}

fn compile_arn(text: &str) -> Vec<Glob> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    if parts.len() == 6 {
        parts.iter().map(|p| Glob::new(p, false)).collect()
    } else {
        vec![Glob::new(text, false)]
    }
}

fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    // Rust's float parser also takes "inf" and "NaN"; a policy number never means those.
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `ms` (what `aws:CurrentTime` looks like in AWS).
pub(crate) fn format_iso8601(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

fn digits(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let s = text.get(range)?;
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Parses a date as AWS's date operators take it: epoch seconds (an integer), or ISO 8601
/// `YYYY-MM-DD` optionally followed by `THH:MM`, `:SS`, `.fraction` and `Z` or `±HH:MM`
/// (a time without zone is UTC). Returns milliseconds since the epoch. Allocation-free, so the
/// evaluator can call it on request values.
pub(crate) fn parse_date(text: &str) -> Option<Millis> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(t, 0..4)?, digits(t, 5..7)?, digits(t, 8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let rest = &t[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let rb = rest.as_bytes();
    if rb.len() < 5 || rb[2] != b':' {
        return None;
    }
    let (hour, minute) = (digits(rest, 0..2)?, digits(rest, 3..5)?);
    if hour > 23 || minute > 59 {
        return None;
    }
    ms += (hour * 3600 + minute * 60) * 1000;
    let mut i = 5;
    if rb.get(i) == Some(&b':') {
        let second = digits(rest, i + 1..i + 3)?;
        if second > 60 {
            return None;
        }
        ms += second * 1000;
        i += 3;
        if rb.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while rb.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Milliseconds: the first three fraction digits, right-padded.
            let mut frac = 0i64;
            for k in 0..3 {
                let digit = if start + k < end { rb.get(start + k).map_or(0, |d| i64::from(d - b'0')) } else { 0 };
                frac = frac * 10 + digit;
            }
            ms += frac;
            i = end;
        }
    }
    match &rest[i..] {
        "" | "Z" | "z" => Some(ms),
        zone => {
            let zb = zone.as_bytes();
            let sign = match zb.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let (zh, zm) = match zone.len() {
                6 if zb[3] == b':' => (digits(zone, 1..3)?, digits(zone, 4..6)?),
                5 => (digits(zone, 1..3)?, digits(zone, 3..5)?),
                3 => (digits(zone, 1..3)?, 0),
                _ => return None,
            };
            if zh > 23 || zm > 59 {
                return None;
            }
            Some(ms - sign * (zh * 3600 + zm * 60) * 1000)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// One `operator: { key: values }` entry of a statement's `Condition`, compiled.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    operator: Operator,
    /// The key, lower-cased.
    key: String,
    values: Vec<Value>,
}

/// Compiles a statement's whole `Condition` element (an object of operators, each an object of
/// keys). The conditions are ANDed by the evaluator.
pub(crate) fn compile_conditions(element: &serde_json::Value) -> Result<Vec<Condition>> {
    let operators = element
        .as_object()
        .ok_or_else(|| malformed("The Condition element must be an object of condition operators"))?;
    let mut out = Vec::new();
    for (op_name, keys) in operators {
        let operator = parse_operator(op_name)?;
        let keys = keys.as_object().ok_or_else(|| {
            malformed(format!("Condition operator {op_name} must map condition keys to values (an object)"))
        })?;
        if keys.is_empty() {
            return Err(malformed(format!("Condition operator {op_name} names no condition key")));
        }
        for (key_name, raw) in keys {
            let key = normalize_key(key_name)?;
            let raw_values: Vec<&serde_json::Value> = match raw {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            if raw_values.is_empty() {
                return Err(malformed(format!("Condition key {key_name} under {op_name} has an empty list of values")));
            }
            let mut values = Vec::with_capacity(raw_values.len());
            for raw_value in raw_values {
                let text = scalar_text(raw_value).ok_or_else(|| {
                    malformed(format!(
                        "Condition key {key_name} under {op_name} has a value that is not a string, number or boolean"
                    ))
                })?;
                values.push(compile_value(operator.family, op_name, key_name, &text)?);
            }
            out.push(Condition { operator, key, values });
        }
    }
    Ok(out)
}

impl Condition {
    /// The lower-cased condition key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Does the positive form of the operator hold between one request value and any policy
    /// value (the OR over policy values)?
    fn positive_match(&self, request: &str) -> bool {
        let op = self.operator;
        match op.family {
            Family::String => self.values.iter().any(|v| matches!(v, Value::Str(s) if s == request)),
            Family::StringIgnoreCase => self
                .values
                .iter()
                .any(|v| matches!(v, Value::Folded(s) if s.chars().eq(request.chars().flat_map(char::to_lowercase)))),
            Family::StringLike => self.values.iter().any(|v| matches!(v, Value::Glob(g) if g.matches(request, false))),
            Family::Numeric => {
                let Some(r) = parse_number(request) else { return false };
                self.values.iter().any(|v| matches!(v, Value::Num(p) if compare(op.cmp, r.partial_cmp(p))))
            }
            Family::Date => {
                let Some(r) = parse_date(request) else { return false };
                self.values.iter().any(|v| matches!(v, Value::Date(p) if compare(op.cmp, Some(r.cmp(p)))))
            }
            Family::Bool => {
                let Some(r) = parse_bool(request) else { return false };
                self.values.iter().any(|v| matches!(v, Value::Bool(p) if *p == r))
            }
            Family::Binary => {
                // Request values arrive base64-encoded as the policy's; compare the bytes.
                let mut buf = [0u8; 256];
                let decoded = match base64::engine::general_purpose::STANDARD.decode_slice(request, &mut buf) {
                    Ok(n) => buf.get(..n),
                    Err(_) => None,
                };
                match decoded {
                    Some(r) => self.values.iter().any(|v| matches!(v, Value::Bytes(p) if p.as_slice() == r)),
                    // Too long for the stack buffer or not base64: compare decoded bytes the slow way.
                    None => match base64::engine::general_purpose::STANDARD.decode(request) {
                        Ok(r) => self.values.iter().any(|v| matches!(v, Value::Bytes(p) if *p == r)),
                        Err(_) => false,
                    },
                }
            }
            Family::Ip => {
                let Ok(addr) = request.trim().parse::<IpAddr>() else { return false };
                self.values.iter().any(|v| matches!(v, Value::Ip(net) if net.contains(addr)))
            }
            Family::Arn => self.values.iter().any(|v| matches!(v, Value::Arn(parts) if arn_matches(parts, request))),
            // Null is decided on presence in `holds`, never per value.
            Family::Null => false,
        }
    }

    /// Does this condition hold for a request whose values for the key are `request`?
    pub(crate) fn holds(&self, request: RequestValues<'_>) -> bool {
        let op = self.operator;
        if op.family == Family::Null {
            let absent = request.is_missing();
            // {"Null": {"k": "true"}} holds when k is absent; "false" when present. Several
            // policy values are ORed like any other operator's.
            return self.values.iter().any(|v| matches!(v, Value::Null(want_absent) if *want_absent == absent));
        }
        if request.is_missing() {
            if op.if_exists {
                return true;
            }
            return match op.set {
                SetQualifier::ForAllValues => true,
                SetQualifier::ForAnyValue => false,
                SetQualifier::None => op.negated,
            };
        }
        let satisfies = |r: &str| self.positive_match(r) != op.negated;
        match op.set {
            SetQualifier::ForAnyValue => request.any(satisfies),
            SetQualifier::ForAllValues => request.all(satisfies),
            SetQualifier::None => {
                let any_match = request.any(|r| self.positive_match(r));
                any_match != op.negated
            }
        }
    }
}

fn compare(cmp: Cmp, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (cmp, ordering) {
        (_, None) => false,
        (Cmp::Eq, Some(o)) => o == Equal,
        (Cmp::Lt, Some(o)) => o == Less,
        (Cmp::Le, Some(o)) => o != Greater,
        (Cmp::Gt, Some(o)) => o == Greater,
        (Cmp::Ge, Some(o)) => o != Less,
    }
}

fn arn_matches(parts: &[Glob], request: &str) -> bool {
    if let [whole] = parts {
        return whole.matches(request, false);
    }
    let mut request_parts = request.splitn(6, ':');
    for part in parts {
        match request_parts.next() {
            Some(r) if part.matches(r, false) => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn glob_basics() {
        let g = Glob::new("kms:Encrypt*", true);
        assert!(g.matches("KMS:EncryptSomething", true));
        assert!(g.matches("kms:encrypt", true));
        assert!(!g.matches("kms:Decrypt", true));
        let g = Glob::new("a?c*e", false);
        assert!(g.matches("abcde", false));
        assert!(g.matches("aécxxe", false));
        assert!(!g.matches("ace", false));
        assert_eq!(Glob::new("kms:Get*", true), Glob::Prefix("kms:get".to_owned()));
        assert!(Glob::new("kms:Get*", true).matches("KMS:GetPublicKey", true));
        assert!(Glob::new("kms:Get*", true).matches("kms:get", true));
        assert!(!Glob::new("kms:Get*", true).matches("kms:Ge", true));
        assert!(Glob::new("é*", false).matches("éa", false));
        assert!(!Glob::new("É*", false).matches("éa", false));
        assert!(!Glob::new("a*", false).matches("é", false));
        assert!(Glob::new("*", false).matches("", false));
        assert!(Glob::new("", false).matches("", false));
        assert!(!Glob::new("", false).matches("x", false));
        assert!(Glob::new("*a*a*a*b", false).matches("aaaaaaaaaaab", false));
        assert!(!Glob::new("*a*a*a*b", false).matches("aaaaaaaaaaaa", false));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("2019-07-16T12:00:00Z"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019-07-16T14:00:00+02:00"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019-07-16T12:00:00.250Z"), Some(1_563_278_400_250));
        assert_eq!(parse_date("1563278400"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019-02-29"), None);
        assert_eq!(parse_date("2020-02-29"), Some(days_from_civil(2020, 2, 29) * 86_400_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2019-07-16T25:00:00Z"), None);
        assert_eq!(format_iso8601(1_563_278_400_000), "2019-07-16T12:00:00Z");
        for days in [-1_000_000i64, -1, 0, 1, 18_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn ip_ranges() {
        let net = IpNet::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.77".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        let v6 = IpNet::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.77".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn operators_parse() {
        let op = parse_operator("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.family, Family::StringLike);
        assert!(op.negated && op.if_exists && op.set == SetQualifier::ForAllValues);
        assert!(parse_operator("NullIfExists").is_err());
        assert!(parse_operator("StringEqualz").is_err());
        assert!(parse_operator("stringequals").is_err());
    }
}
