//! Key identifiers in AWS's four forms (key id, key ARN, alias name, alias ARN) and alias names.

use crate::error::{Error, ErrorKind, Result};

/// The store's identity in ARNs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreIdentity {
    /// The partition, `aws`.
    pub partition: String,
    /// The Region named in ARNs, e.g. `us-east-1`.
    pub region: String,
    /// The 12-digit account id named in ARNs.
    pub account_id: String,
}

impl StoreIdentity {
    /// The key ARN of `key_id`.
    pub fn key_arn(&self, key_id: &str) -> String {
        // Built by hand, not with `format!`: this runs on every cryptographic call (the response
        // names the key by ARN), where the formatting machinery cost more than the copy.
        let mut arn = String::with_capacity(
            "arn:".len()
                + self.partition.len()
                + ":kms:".len()
                + self.region.len()
                + 1
                + self.account_id.len()
                + 5
                + key_id.len(),
        );
        for part in ["arn:", &self.partition, ":kms:", &self.region, ":", &self.account_id, ":key/", key_id] {
            arn.push_str(part);
        }
        arn
    }

    /// The alias ARN of `alias_name` (which starts with `alias/`).
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!("arn:{}:kms:{}:{}:{alias_name}", self.partition, self.region, self.account_id)
    }

    /// Checks a Region name (`^([a-z]+-){2,3}\d+$`) and a 12-digit account id.
    pub(crate) fn validate(&self) -> Result<()> {
        let region_ok = {
            let parts: Vec<&str> = self.region.split('-').collect();
            (3..=4).contains(&parts.len())
                && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
                && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        };
        if !region_ok {
            return Err(Error::validation(format!("'{}' is not a valid Region name", self.region)));
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::validation(format!("'{}' is not a 12-digit account id", self.account_id)));
        }
        Ok(())
    }
}

/// A parsed key identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyRef {
    /// A key id (from a bare id or a key ARN).
    Key(String),
    /// An alias name `alias/...` (from a bare name or an alias ARN).
    Alias(String),
}

/// Longest KeyId string AWS accepts.
const MAX_KEY_ID_INPUT: usize = 2048;

/// Parses `input` in any of the four forms. Ids and ARNs of another Region or account do not
/// exist in this store (NotFound). A malformed ARN is InvalidArnException.
pub(crate) fn parse_key_ref(input: &str, identity: &StoreIdentity) -> Result<KeyRef> {
    if input.is_empty() || input.chars().count() > MAX_KEY_ID_INPUT {
        return Err(Error::validation("KeyId must be 1 to 2048 characters long"));
    }
    if let Some(rest) = input.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts.as_slice() else {
            return Err(Error::new(ErrorKind::InvalidArn, format!("Invalid arn {input}")));
        };
        if !partition.starts_with("aws") || *service != "kms" || region.is_empty() || account.is_empty() {
            return Err(Error::new(ErrorKind::InvalidArn, format!("Invalid arn {input}")));
        }
        let reference = if let Some(id) = resource.strip_prefix("key/") {
            KeyRef::Key(id.to_owned())
        } else if resource.starts_with("alias/") {
            KeyRef::Alias((*resource).to_owned())
        } else {
            return Err(Error::new(ErrorKind::InvalidArn, format!("Invalid arn {input}")));
        };
        if *partition != identity.partition || *region != identity.region || *account != identity.account_id {
            return Err(Error::not_found(format!("{input} does not exist in this store")));
        }
        if let KeyRef::Key(id) = &reference {
            check_key_id(id, input)?;
        }
        return Ok(reference);
    }
    if input.starts_with("alias/") {
        return Ok(KeyRef::Alias(input.to_owned()));
    }
    check_key_id(input, input)?;
    Ok(KeyRef::Key(input.to_owned()))
}

fn check_key_id(id: &str, input: &str) -> Result<()> {
    if is_canonical_key_id(id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("Invalid keyId {input}")))
    }
}

/// Whether `id` is a UUID in the one spelling key ids have: lowercase hyphenated (what
/// `Uuid::hyphenated().to_string()` gives). Checked byte by byte because every call that names
/// a key runs it.
pub(crate) fn is_canonical_key_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// The prefixes of service-managed key aliases: `alias/aws/<service>` (AWS's spelling) and
/// `alias/managed/<service>` (Keystead's). Keys behind them are created on first use.
pub(crate) const MANAGED_ALIAS_PREFIXES: [&str; 2] = ["alias/aws/", "alias/managed/"];

/// The service name of a managed alias, if `name` is one.
pub(crate) fn managed_service(name: &str) -> Option<&str> {
    MANAGED_ALIAS_PREFIXES.iter().find_map(|p| name.strip_prefix(p)).filter(|s| !s.is_empty())
}

/// Checks an alias name against AWS's rules: `alias/` + `[a-zA-Z0-9:/_-]+`, at most 256
/// characters. Reserved prefixes are checked by the callers that create aliases.
pub(crate) fn validate_alias_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 {
        return Err(Error::validation("AliasName must be 1 to 256 characters long"));
    }
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(Error::new(ErrorKind::InvalidAliasName, format!("Alias {name} must begin with alias/")));
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b)) {
        return Err(Error::new(
            ErrorKind::InvalidAliasName,
            format!("Alias {name} must be alias/ followed by letters, digits, ':', '/', '_' or '-'"),
        ));
    }
    Ok(())
}

/// Rejects names a caller may not create or re-point: `alias/aws/...` and `alias/managed/...`.
pub(crate) fn reject_reserved_alias(name: &str) -> Result<()> {
    if MANAGED_ALIAS_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Err(Error::new(
            ErrorKind::InvalidAliasName,
            format!("Alias {name} is reserved for service-managed keys (alias/aws/ and alias/managed/)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// The byte check agrees with "parses as a UUID and is its own lowercase hyphenated form".
    #[test]
    fn canonical_key_id_check_matches_the_uuid_definition() {
        let id = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d".to_owned();
        let mut inputs = vec![
            id.clone(),
            id.to_uppercase(),
            id.replace('-', ""),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
            id[..35].to_owned(),
            format!("{id}0"),
            String::new(),
            "00000000-0000-0000-0000-000000000000".to_owned(),
            "ffffffff-ffff-ffff-ffff-ffffffffffff".to_owned(),
            "0000000g-0000-0000-0000-000000000000".to_owned(),
            "00000000-0000-0000-0000_000000000000".to_owned(),
            "00000000-00000-000-0000-000000000000".to_owned(),
            "é0000000-0000-0000-0000-00000000000".to_owned(),
        ];
        // Every single-character change of a valid id.
        for at in 0..id.len() {
            for c in ['0', '9', 'a', 'f', 'g', 'A', 'F', '-', ' '] {
                let mut changed = id.clone();
                changed.replace_range(at..at + 1, &c.to_string());
                inputs.push(changed);
            }
        }
        for input in inputs {
            let by_uuid = Uuid::try_parse(&input).is_ok_and(|u| u.hyphenated().to_string() == input);
            assert_eq!(is_canonical_key_id(&input), by_uuid, "{input}");
        }
    }

    fn identity() -> StoreIdentity {
        StoreIdentity { partition: "aws".into(), region: "us-east-1".into(), account_id: "111122223333".into() }
    }

    #[test]
    fn four_forms_parse() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let me = identity();
        assert_eq!(parse_key_ref(id, &me).unwrap(), KeyRef::Key(id.into()));
        assert_eq!(parse_key_ref(&me.key_arn(id), &me).unwrap(), KeyRef::Key(id.into()));
        assert_eq!(parse_key_ref("alias/orders", &me).unwrap(), KeyRef::Alias("alias/orders".into()));
        assert_eq!(parse_key_ref(&me.alias_arn("alias/orders"), &me).unwrap(), KeyRef::Alias("alias/orders".into()));
    }

    #[test]
    fn bad_forms_get_aws_errors() {
        let me = identity();
        assert_eq!(parse_key_ref("nope", &me).unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(parse_key_ref("arn:aws:s3:::bucket", &me).unwrap_err().kind(), ErrorKind::InvalidArn);
        assert_eq!(parse_key_ref("arn:aws:kms:us-east-1", &me).unwrap_err().kind(), ErrorKind::InvalidArn);
        let other_region = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(parse_key_ref(other_region, &me).unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(parse_key_ref("", &me).unwrap_err().kind(), ErrorKind::Validation);
    }

    #[test]
    fn alias_rules() {
        assert!(validate_alias_name("alias/orders-2024:eu/main_1").is_ok());
        assert_eq!(validate_alias_name("orders").unwrap_err().kind(), ErrorKind::InvalidAliasName);
        assert_eq!(validate_alias_name("alias/").unwrap_err().kind(), ErrorKind::InvalidAliasName);
        assert_eq!(validate_alias_name("alias/a b").unwrap_err().kind(), ErrorKind::InvalidAliasName);
        assert_eq!(
            validate_alias_name(&format!("alias/{}", "a".repeat(251))).unwrap_err().kind(),
            ErrorKind::Validation
        );
        assert!(reject_reserved_alias("alias/aws/s3").is_err());
        assert_eq!(managed_service("alias/managed/s3"), Some("s3"));
        assert_eq!(managed_service("alias/orders"), None);
    }
}
