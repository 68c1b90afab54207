//! Region partitions. AWS KMS is regional: a key lives in one Region and its ARN names it. The
//! Region of a request's SigV4 credential scope picks the partition: the store's own Region is the
//! data folder itself; any other valid Region is a store of its own in `<data dir>/regions/<region>`,
//! opened (and created) on first use with the same root key and account id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use keystead_core::{Error, ErrorKind, Keystead, RootKeySource, KEY_FILE_NAME};

/// The sub-folder of the data folder that holds the other Regions' stores.
pub const REGIONS_FOLDER: &str = "regions";

/// AWS's Region shape: `^([a-z]+-){2,3}\d+$`. Checked before the name becomes a folder name.
pub fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) struct Regions {
    data_dir: PathBuf,
    home: Keystead,
    root_key: RootKeySource,
    others: Mutex<HashMap<String, Keystead>>,
}

impl Regions {
    /// Opens (or creates) the home store in `data_dir`.
    pub(crate) fn open(
        data_dir: &Path,
        root_key: RootKeySource,
        region: Option<&str>,
        account_id: Option<&str>,
    ) -> keystead_core::Result<Self> {
        // Every partition shares the home store's root key: the default key file is the one in
        // the data folder, not one per Region folder.
        let root_key = match root_key {
            RootKeySource::KeyFile(None) => RootKeySource::KeyFile(Some(data_dir.join(KEY_FILE_NAME))),
            other => other,
        };
        let mut builder = Keystead::builder().root_key(root_key.clone());
        if let Some(region) = region {
            builder = builder.region(region);
        }
        if let Some(account_id) = account_id {
            builder = builder.account_id(account_id);
        }
        let home = builder.open(data_dir)?;
        Ok(Self { data_dir: data_dir.to_owned(), home, root_key, others: Mutex::new(HashMap::new()) })
    }

    /// The store of the data folder (which also holds the access keys).
    pub(crate) fn home(&self) -> &Keystead {
        &self.home
    }

    /// The store of `region`, opened on first use.
    pub(crate) fn get(&self, region: &str) -> keystead_core::Result<Keystead> {
        let identity = self.home.identity();
        if region == identity.region {
            return Ok(self.home.clone());
        }
        if !is_valid_region(region) {
            return Err(Error::new(
                ErrorKind::Validation,
                format!("'{region}' is not a valid Region name (expected e.g. eu-west-1)"),
            ));
        }
        let mut others = self.others.lock().map_err(|_| Error::new(ErrorKind::Internal, "region table poisoned"))?;
        if let Some(store) = others.get(region) {
            return Ok(store.clone());
        }
        let store = Keystead::builder()
            .root_key(self.root_key.clone())
            .region(region)
            .account_id(identity.account_id.clone())
            .open(self.data_dir.join(REGIONS_FOLDER).join(region))?;
        others.insert(region.to_owned(), store.clone());
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-2"] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for bad in ["", "us", "us-east", "../etc-x-1", "US-EAST-1", "us-east-1/..", "us--1", "a-b-c-d-1"] {
            assert!(!is_valid_region(bad), "{bad}");
        }
    }
}
