//! Crash safety: a child process changes a store at full speed and is killed with SIGKILL at a
//! random instant; the parent reopens the store and checks that every change the child saw
//! acknowledged is there, and that the one call in flight at the kill is either fully applied
//! or not at all.
//!
//! The child is this test binary re-executed on `child_worker_entry` (which does nothing when
//! run normally). It prints a line before each call (`@@BEGIN <op>`) and one after it returns
//! (`@@ACK <op> [results]`, flushed). The parent keeps an exact model of the store across runs
//! (one store folder is reused, like a crash-looping service): after each kill the store must
//! equal the model, or the model with the in-flight call applied.
//!
//! `KEYSTEAD_CRASH_RUNS` sets the number of kills (default 200); `KEYSTEAD_CRASH_SEED` fixes
//! the random seed (printed in the summary line).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, EncryptRequest, GrantOperation, KeyState, Keystead, Tag,
};

const CHILD_DIR_ENV: &str = "KEYSTEAD_CRASH_CHILD_DIR";
const CHILD_SEED_ENV: &str = "KEYSTEAD_CRASH_CHILD_SEED";
const CHILD_RUN_ENV: &str = "KEYSTEAD_CRASH_CHILD_RUN";
/// The child stops creating keys beyond this many.
const MAX_KEYS: usize = 48;
/// The child stops creating aliases beyond this many.
const MAX_ALIASES: usize = 120;
/// On-demand rotations allowed per key.
const MAX_ROTATIONS: usize = 25;
/// Tag keys the child uses (values change).
const TAG_KEYS: [&str; 5] = ["team", "env", "tier", "owner", "cost"];
/// Grants kept per key at most (so one ListGrants page shows them all).
const MAX_GRANTS: usize = 20;
/// The principal every grant goes to.
const GRANTEE: &str = "arn:aws:iam::111122223333:role/crash-grantee";
/// The Sid of AWS's default key policy.
const DEFAULT_POLICY_SID: &str = "Enable IAM User Permissions";

/// A key policy that keeps the account principal in full control, under statement `sid`.
fn owner_policy(sid: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Action": "kms:*", "Resource": "*"}}]}}"#
    )
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1) ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            let i = usize::try_from(self.below(items.len() as u64)).unwrap();
            items.get(i)
        }
    }
}

/// One state change (or encrypt) the child performs. The textual form is the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    /// CreateKey with a unique description; the key id is known only once acknowledged.
    Create {
        description: String,
        key_id: Option<String>,
    },
    Alias {
        name: String,
        key_id: String,
    },
    Realias {
        name: String,
        key_id: String,
    },
    Describe {
        key_id: String,
        text: String,
    },
    Tag {
        key_id: String,
        tag: String,
        value: String,
    },
    Disable {
        key_id: String,
    },
    Enable {
        key_id: String,
    },
    RotationOn {
        key_id: String,
    },
    Rotate {
        key_id: String,
    },
    Schedule {
        key_id: String,
    },
    Cancel {
        key_id: String,
    },
    /// CreateGrant to a fixed grantee; the grant id is known only once acknowledged.
    Grant {
        key_id: String,
        name: String,
        grant_id: Option<String>,
    },
    Revoke {
        key_id: String,
        grant_id: String,
    },
    /// PutKeyPolicy: the account principal keeps full access under a statement named `sid`.
    Policy {
        key_id: String,
        sid: String,
    },
    /// Encrypt; the blob is known only once acknowledged.
    Encrypt {
        key_id: String,
        plaintext: String,
        blob: Option<String>,
    },
}

impl Op {
    fn text(&self) -> String {
        match self {
            Op::Create { description, key_id } => {
                format!("create {description}{}", key_id.as_ref().map(|k| format!(" {k}")).unwrap_or_default())
            }
            Op::Alias { name, key_id } => format!("alias {name} {key_id}"),
            Op::Realias { name, key_id } => format!("realias {name} {key_id}"),
            Op::Describe { key_id, text } => format!("desc {key_id} {text}"),
            Op::Tag { key_id, tag, value } => format!("tag {key_id} {tag} {value}"),
            Op::Disable { key_id } => format!("disable {key_id}"),
            Op::Enable { key_id } => format!("enable {key_id}"),
            Op::RotationOn { key_id } => format!("rotation_on {key_id}"),
            Op::Rotate { key_id } => format!("rotate {key_id}"),
            Op::Schedule { key_id } => format!("schedule {key_id}"),
            Op::Cancel { key_id } => format!("cancel {key_id}"),
            Op::Encrypt { key_id, plaintext, blob } => {
                format!("encrypt {key_id} {plaintext}{}", blob.as_ref().map(|b| format!(" {b}")).unwrap_or_default())
            }
            Op::Grant { key_id, name, grant_id } => {
                format!("grant {key_id} {name}{}", grant_id.as_ref().map(|g| format!(" {g}")).unwrap_or_default())
            }
            Op::Revoke { key_id, grant_id } => format!("revoke {key_id} {grant_id}"),
            Op::Policy { key_id, sid } => format!("policy {key_id} {sid}"),
        }
    }

    /// The audit event name of the operation.
    fn event_name(&self) -> &'static str {
        match self {
            Op::Create { .. } => "CreateKey",
            Op::Alias { .. } => "CreateAlias",
            Op::Realias { .. } => "UpdateAlias",
            Op::Describe { .. } => "UpdateKeyDescription",
            Op::Tag { .. } => "TagResource",
            Op::Disable { .. } => "DisableKey",
            Op::Enable { .. } => "EnableKey",
            Op::RotationOn { .. } => "EnableKeyRotation",
            Op::Rotate { .. } => "RotateKeyOnDemand",
            Op::Schedule { .. } => "ScheduleKeyDeletion",
            Op::Cancel { .. } => "CancelKeyDeletion",
            Op::Grant { .. } => "CreateGrant",
            Op::Revoke { .. } => "RevokeGrant",
            Op::Policy { .. } => "PutKeyPolicy",
            Op::Encrypt { .. } => "Encrypt",
        }
    }

    fn parse(text: &str) -> Op {
        let t: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        let arg = |i: usize| t.get(i).cloned().unwrap_or_else(|| panic!("malformed op line {text:?}"));
        let opt = |i: usize| t.get(i).cloned();
        match t.first().map(String::as_str) {
            Some("create") => Op::Create { description: arg(1), key_id: opt(2) },
            Some("alias") => Op::Alias { name: arg(1), key_id: arg(2) },
            Some("realias") => Op::Realias { name: arg(1), key_id: arg(2) },
            Some("desc") => Op::Describe { key_id: arg(1), text: arg(2) },
            Some("tag") => Op::Tag { key_id: arg(1), tag: arg(2), value: arg(3) },
            Some("disable") => Op::Disable { key_id: arg(1) },
            Some("enable") => Op::Enable { key_id: arg(1) },
            Some("rotation_on") => Op::RotationOn { key_id: arg(1) },
            Some("rotate") => Op::Rotate { key_id: arg(1) },
            Some("schedule") => Op::Schedule { key_id: arg(1) },
            Some("cancel") => Op::Cancel { key_id: arg(1) },
            Some("encrypt") => Op::Encrypt { key_id: arg(1), plaintext: arg(2), blob: opt(3) },
            Some("grant") => Op::Grant { key_id: arg(1), name: arg(2), grant_id: opt(3) },
            Some("revoke") => Op::Revoke { key_id: arg(1), grant_id: arg(2) },
            Some("policy") => Op::Policy { key_id: arg(1), sid: arg(2) },
            _ => panic!("unknown op line {text:?}"),
        }
    }
}

/// What the parent knows (model) or sees (observation) of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyView {
    state: KeyState,
    description: String,
    tags: BTreeMap<String, String>,
    /// Automatic rotation switched on (as set; GetKeyRotationStatus hides it while the key is
    /// pending deletion).
    rotation_enabled: bool,
    /// Completed on-demand rotations.
    rotations: usize,
    /// Ids of the key's grants.
    grants: std::collections::BTreeSet<String>,
    /// The Sid of the key policy's first statement (the default policy's until PutKeyPolicy).
    policy_sid: String,
}

/// The whole observable store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Snapshot {
    keys: BTreeMap<String, KeyView>,
    aliases: BTreeMap<String, String>,
}

impl Snapshot {
    fn key(&mut self, key_id: &str) -> &mut KeyView {
        self.keys.get_mut(key_id).unwrap_or_else(|| panic!("op on a key the model does not know: {key_id}"))
    }

    /// Applies an acknowledged (or assumed committed) op to the model.
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Create { description, key_id } => {
                let key_id = key_id.clone().expect("create op without a key id");
                let view = KeyView {
                    state: KeyState::Enabled,
                    description: description.clone(),
                    tags: BTreeMap::new(),
                    rotation_enabled: false,
                    rotations: 0,
                    grants: std::collections::BTreeSet::new(),
                    policy_sid: DEFAULT_POLICY_SID.to_owned(),
                };
                assert!(self.keys.insert(key_id.clone(), view).is_none(), "key id {key_id} created twice");
            }
            Op::Alias { name, key_id } | Op::Realias { name, key_id } => {
                self.aliases.insert(name.clone(), key_id.clone());
            }
            Op::Describe { key_id, text } => self.key(key_id).description = text.clone(),
            Op::Tag { key_id, tag, value } => {
                self.key(key_id).tags.insert(tag.clone(), value.clone());
            }
            Op::Disable { key_id } | Op::Cancel { key_id } => self.key(key_id).state = KeyState::Disabled,
            Op::Enable { key_id } => self.key(key_id).state = KeyState::Enabled,
            Op::RotationOn { key_id } => self.key(key_id).rotation_enabled = true,
            Op::Rotate { key_id } => self.key(key_id).rotations += 1,
            Op::Schedule { key_id } => self.key(key_id).state = KeyState::PendingDeletion,
            Op::Grant { key_id, grant_id, .. } => {
                let grant_id = grant_id.clone().expect("grant op without a grant id");
                self.key(key_id).grants.insert(grant_id);
            }
            Op::Revoke { key_id, grant_id } => {
                self.key(key_id).grants.remove(grant_id);
            }
            Op::Policy { key_id, sid } => self.key(key_id).policy_sid = sid.clone(),
            Op::Encrypt { .. } => {}
        }
    }

    /// The snapshot as the store's read operations show it.
    fn as_observed(&self) -> Snapshot {
        let mut out = self.clone();
        for view in out.keys.values_mut() {
            view.rotation_enabled &= view.state != KeyState::PendingDeletion;
        }
        out
    }
}

/// Reads everything the model tracks from an open store.
fn observe(store: &Keystead) -> Snapshot {
    let mut snapshot = Snapshot::default();
    let mut marker: Option<String> = None;
    loop {
        let page = store.list_keys(Some(1000), marker.as_deref()).expect("ListKeys");
        for entry in page.items {
            let id = entry.key_id;
            let meta = store.describe_key(&id).expect("DescribeKey");
            let tags = store.list_resource_tags(&id, Some(50), None).expect("ListResourceTags");
            assert!(tags.next_marker.is_none(), "more than 50 tags on {id}");
            let status = store.get_key_rotation_status(&id).expect("GetKeyRotationStatus");
            let rotations = store.list_key_rotations(&id, None, Some(1000), None).expect("ListKeyRotations");
            let grants = store.list_grants(&id, None, None, Some(100), None).expect("ListGrants");
            assert!(grants.next_marker.is_none(), "more than 100 grants on {id}");
            let policy: serde_json::Value =
                serde_json::from_str(&store.get_key_policy(&id, None).expect("GetKeyPolicy")).expect("policy JSON");
            snapshot.keys.insert(
                id,
                KeyView {
                    state: meta.key_state,
                    description: meta.description,
                    tags: tags.items.into_iter().map(|t| (t.tag_key, t.tag_value)).collect(),
                    rotation_enabled: status.key_rotation_enabled,
                    rotations: rotations.items.len(),
                    grants: grants.items.into_iter().map(|g| g.grant_id).collect(),
                    policy_sid: policy["Statement"][0]["Sid"].as_str().expect("Sid").to_owned(),
                },
            );
        }
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    let mut marker: Option<String> = None;
    loop {
        let page = store.list_aliases(None, Some(100), marker.as_deref()).expect("ListAliases");
        for alias in page.items {
            snapshot.aliases.insert(alias.alias_name, alias.target_key_id);
        }
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    snapshot
}

/// `PRAGMA integrity_check` on the database file, before Keystead opens it.
fn sqlite_integrity_check(dir: &Path) {
    let db = dir.join(keystead_core::DATABASE_FILE_NAME);
    if !db.exists() {
        return;
    }
    let conn = rusqlite::Connection::open(&db).expect("open keystead.db with rusqlite");
    let result: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check");
    assert_eq!(result, "ok", "PRAGMA integrity_check failed");
}

fn emit(line: &str) {
    // One write of a whole line, then a flush: a kill never leaves half an ACK that looks whole.
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\n@@{line}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// What the child knows of one key (it is the only writer while it runs).
struct ChildKey {
    id: String,
    state: KeyState,
    rotations: usize,
    grants: Vec<String>,
}

/// The child's body: runs only when the parent sets `KEYSTEAD_CRASH_CHILD_DIR`. Not a test on
/// its own.
#[test]
fn child_worker_entry() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else { return };
    let seed: u64 = std::env::var(CHILD_SEED_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let run: String = std::env::var(CHILD_RUN_ENV).unwrap_or_else(|_| "0".into());
    let mut rng = Rng::new(seed);
    let store = Keystead::open(&dir).expect("child: open store");

    // Learn the current state.
    let mut keys: Vec<ChildKey> = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = store.list_keys(Some(1000), marker.as_deref()).expect("child: ListKeys");
        for entry in page.items {
            let meta = store.describe_key(&entry.key_id).expect("child: DescribeKey");
            let rotations =
                store.list_key_rotations(&entry.key_id, None, Some(1000), None).expect("child: ListKeyRotations");
            let grants = store.list_grants(&entry.key_id, None, None, Some(100), None).expect("child: ListGrants");
            keys.push(ChildKey {
                id: entry.key_id,
                state: meta.key_state,
                rotations: rotations.items.len(),
                grants: grants.items.into_iter().map(|g| g.grant_id).collect(),
            });
        }
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    // Alias name -> target key id.
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = store.list_aliases(None, Some(100), marker.as_deref()).expect("child: ListAliases");
        aliases.extend(page.items.into_iter().map(|a| (a.alias_name, a.target_key_id)));
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    emit("READY");

    // The parent kills us long before this; the deadline only guards against an orphan.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let roll = rng.below(100);
        let pick = |rng: &mut Rng, keys: &[ChildKey], ok: &dyn Fn(&ChildKey) -> bool| -> Option<usize> {
            let candidates: Vec<usize> = (0..keys.len()).filter(|&i| ok(&keys[i])).collect();
            rng.pick(&candidates).copied()
        };
        let live = |k: &ChildKey| k.state != KeyState::PendingDeletion;
        // An alias target must be live and below the 50-aliases-per-key limit.
        let alias_counts: BTreeMap<&str, usize> = aliases.values().fold(BTreeMap::new(), |mut m, t| {
            *m.entry(t.as_str()).or_default() += 1;
            m
        });
        let alias_target = |k: &ChildKey| live(k) && alias_counts.get(k.id.as_str()).copied().unwrap_or(0) < 50;
        let enabled = |k: &ChildKey| k.state == KeyState::Enabled;
        let (op, index) = if keys.is_empty() || (roll < 8 && keys.len() < MAX_KEYS) {
            (Op::Create { description: format!("created-r{run}-n{n}"), key_id: None }, None)
        } else if roll < 14 && aliases.len() < MAX_ALIASES {
            let Some(i) = pick(&mut rng, &keys, &alias_target) else { continue };
            (Op::Alias { name: format!("alias/crash-r{run}-n{n}"), key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 18 {
            let names: Vec<&String> = aliases.keys().collect();
            let (Some(name), Some(i)) = (rng.pick(&names).map(|n| (*n).clone()), pick(&mut rng, &keys, &alias_target))
            else {
                continue;
            };
            (Op::Realias { name, key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 28 {
            let Some(i) = pick(&mut rng, &keys, &live) else { continue };
            (Op::Describe { key_id: keys[i].id.clone(), text: format!("described-r{run}-n{n}") }, Some(i))
        } else if roll < 40 {
            let Some(i) = pick(&mut rng, &keys, &live) else { continue };
            let tag = (*rng.pick(&TAG_KEYS).unwrap()).to_owned();
            (Op::Tag { key_id: keys[i].id.clone(), tag, value: format!("v-r{run}-n{n}") }, Some(i))
        } else if roll < 50 {
            let Some(i) = pick(&mut rng, &keys, &enabled) else { continue };
            (Op::Disable { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 60 {
            let Some(i) = pick(&mut rng, &keys, &|k| k.state == KeyState::Disabled) else { continue };
            (Op::Enable { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 64 {
            let Some(i) = pick(&mut rng, &keys, &enabled) else { continue };
            (Op::RotationOn { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 76 {
            let Some(i) = pick(&mut rng, &keys, &|k| enabled(k) && k.rotations < MAX_ROTATIONS) else { continue };
            (Op::Rotate { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 81 {
            let Some(i) = pick(&mut rng, &keys, &live) else { continue };
            (Op::Schedule { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 87 {
            let Some(i) = pick(&mut rng, &keys, &|k| k.state == KeyState::PendingDeletion) else { continue };
            (Op::Cancel { key_id: keys[i].id.clone() }, Some(i))
        } else if roll < 90 {
            let Some(i) = pick(&mut rng, &keys, &|k| enabled(k) && k.grants.len() < MAX_GRANTS) else { continue };
            (Op::Grant { key_id: keys[i].id.clone(), name: format!("g-r{run}-n{n}"), grant_id: None }, Some(i))
        } else if roll < 92 {
            let Some(i) = pick(&mut rng, &keys, &|k| !k.grants.is_empty()) else { continue };
            let grant_id = rng.pick(&keys[i].grants).unwrap().clone();
            (Op::Revoke { key_id: keys[i].id.clone(), grant_id }, Some(i))
        } else if roll < 94 {
            let Some(i) = pick(&mut rng, &keys, &live) else { continue };
            (Op::Policy { key_id: keys[i].id.clone(), sid: format!("Owner-r{run}-n{n}") }, Some(i))
        } else {
            let Some(i) = pick(&mut rng, &keys, &enabled) else { continue };
            let len = 1 + usize::try_from(rng.below(64)).unwrap();
            let plaintext: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            (Op::Encrypt { key_id: keys[i].id.clone(), plaintext: B64.encode(plaintext), blob: None }, Some(i))
        };

        emit(&format!("BEGIN {}", op.text()));
        let result: keystead_core::Result<Op> = match &op {
            Op::Create { description, .. } => store
                .create_key(CreateKeyRequest { description: Some(description.clone()), ..Default::default() })
                .map(|meta| {
                    keys.push(ChildKey {
                        id: meta.key_id.clone(),
                        state: KeyState::Enabled,
                        rotations: 0,
                        grants: Vec::new(),
                    });
                    Op::Create { description: description.clone(), key_id: Some(meta.key_id) }
                }),
            Op::Alias { name, key_id } | Op::Realias { name, key_id } => {
                let done = if matches!(op, Op::Alias { .. }) {
                    store.create_alias(name, key_id)
                } else {
                    store.update_alias(name, key_id)
                };
                done.map(|()| {
                    aliases.insert(name.clone(), key_id.clone());
                    op.clone()
                })
            }
            Op::Describe { key_id, text } => store.update_key_description(key_id, text).map(|()| op.clone()),
            Op::Tag { key_id, tag, value } => {
                store.tag_resource(key_id, &[Tag::new(tag.clone(), value.clone())]).map(|()| op.clone())
            }
            Op::Disable { key_id } => store.disable_key(key_id).map(|()| op.clone()),
            Op::Enable { key_id } => store.enable_key(key_id).map(|()| op.clone()),
            Op::RotationOn { key_id } => store.enable_key_rotation(key_id, None).map(|()| op.clone()),
            Op::Rotate { key_id } => store.rotate_key_on_demand(key_id).map(|_| op.clone()),
            Op::Schedule { key_id } => store.schedule_key_deletion(key_id, Some(7)).map(|_| op.clone()),
            Op::Cancel { key_id } => store.cancel_key_deletion(key_id).map(|_| op.clone()),
            Op::Grant { key_id, name, .. } => store
                .create_grant(CreateGrantRequest {
                    key_id,
                    grantee_principal: GRANTEE,
                    operations: &[GrantOperation::Encrypt, GrantOperation::Decrypt],
                    name: Some(name),
                    ..Default::default()
                })
                .map(|r| Op::Grant { key_id: key_id.clone(), name: name.clone(), grant_id: Some(r.grant_id) }),
            Op::Revoke { key_id, grant_id } => store.revoke_grant(key_id, grant_id, false).map(|()| op.clone()),
            Op::Policy { key_id, sid } => {
                store.put_key_policy(key_id, &owner_policy(sid), None, false).map(|()| op.clone())
            }
            Op::Encrypt { key_id, plaintext, .. } => {
                let bytes = B64.decode(plaintext).unwrap();
                store.encrypt(EncryptRequest { key_id, plaintext: &bytes, ..Default::default() }).map(|r| Op::Encrypt {
                    key_id: key_id.clone(),
                    plaintext: plaintext.clone(),
                    blob: Some(B64.encode(r.ciphertext_blob)),
                })
            }
        };
        match result {
            Ok(done) => {
                if let Some(i) = index {
                    match &done {
                        Op::Disable { .. } | Op::Cancel { .. } => keys[i].state = KeyState::Disabled,
                        Op::Enable { .. } => keys[i].state = KeyState::Enabled,
                        Op::Schedule { .. } => keys[i].state = KeyState::PendingDeletion,
                        Op::Rotate { .. } => keys[i].rotations += 1,
                        Op::Grant { grant_id: Some(grant_id), .. } => keys[i].grants.push(grant_id.clone()),
                        Op::Revoke { grant_id, .. } => keys[i].grants.retain(|g| g != grant_id),
                        _ => {}
                    }
                }
                emit(&format!("ACK {}", done.text()));
            }
            Err(err) => emit(&format!("FAIL {} ({:?}: {})", op.text(), err.kind(), err)),
        }
    }
}

/// An acknowledged ciphertext and what it must decrypt to.
struct AckedBlob {
    key_id: String,
    plaintext: Vec<u8>,
    blob: Vec<u8>,
    verified: bool,
}

fn check_blob(store: &Keystead, b: &AckedBlob) {
    let opened = store
        .decrypt(DecryptRequest { ciphertext_blob: &b.blob, ..Default::default() })
        .unwrap_or_else(|e| panic!("an acknowledged blob of key {} no longer decrypts: {e}", b.key_id));
    assert_eq!(opened.plaintext.expose(), b.plaintext.as_slice(), "acknowledged blob decrypts to other bytes");
    assert!(opened.key_id.ends_with(&b.key_id), "acknowledged blob decrypts under another key");
}

/// Runs one child, kills it at a random instant, and returns its complete protocol lines.
/// With `wait_ready` the delay counts from the child's READY line; without, from the spawn
/// (so the kill may land inside `Keystead::open`).
fn run_child_and_kill(dir: &Path, run: u64, seed: u64, delay: Duration, wait_ready: bool) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "child_worker_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_SEED_ENV, seed.to_string())
        .env(CHILD_RUN_ENV, run.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                // A line cut by the kill has no newline: it was never acknowledged.
                Ok(_) if line.last() == Some(&b'\n') => {
                    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                    if let Some(at) = text.find("@@") {
                        if tx.send(text[at + 2..].to_owned()).is_err() {
                            break;
                        }
                    }
                }
                Ok(_) => break,
            }
        }
    });
    let mut lines = Vec::new();
    if wait_ready {
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line == "READY" => break,
                Ok(line) => lines.push(line),
                Err(e) => {
                    let _ = child.kill();
                    panic!("run {run}: the child never became ready ({e}); status {:?}", child.wait());
                }
            }
        }
    }
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().unwrap() {
        panic!("run {run}: the child exited by itself before the kill: {status}");
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().unwrap();
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "run {run}: child ended with {status}, not SIGKILL");
    }
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    lines
}

#[test]
fn kill_9_at_random_instants_loses_no_acknowledged_change() {
    let runs: u64 = std::env::var("KEYSTEAD_CRASH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let base_seed: u64 = std::env::var("KEYSTEAD_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        now.as_nanos() as u64 ^ u64::from(std::process::id())
    });
    let started = Instant::now();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("store");
    let mut rng = Rng::new(base_seed);
    let mut model = Snapshot::default();
    let mut blobs: Vec<AckedBlob> = Vec::new();
    let (mut acked, mut in_flight_applied, mut in_flight_total, mut total_delay_ms) = (0u64, 0u64, 0u64, 0u64);
    let mut early_kills = 0u64;
    let mut acked_by_event: BTreeMap<&'static str, u64> = BTreeMap::new();

    for run in 0..runs {
        let seed = rng.next();
        let delay_ms = rng.below(51);
        // One run in ten (once the store exists) is killed counting from the spawn, often
        // while the child is still opening the store.
        let wait_ready = run == 0 || rng.below(10) != 0;
        if wait_ready {
            total_delay_ms += delay_ms;
        } else {
            early_kills += 1;
        }
        let lines = run_child_and_kill(&dir, run, seed, Duration::from_millis(delay_ms), wait_ready);

        // Replay the acknowledgements into the model; remember the call in flight at the kill.
        let mut in_flight: Option<Op> = None;
        for line in &lines {
            if let Some(text) = line.strip_prefix("BEGIN ") {
                in_flight = Some(Op::parse(text));
            } else if let Some(text) = line.strip_prefix("ACK ") {
                let op = Op::parse(text);
                if let Op::Encrypt { key_id, plaintext, blob: Some(blob) } = &op {
                    blobs.push(AckedBlob {
                        key_id: key_id.clone(),
                        plaintext: B64.decode(plaintext).unwrap(),
                        blob: B64.decode(blob).unwrap(),
                        verified: false,
                    });
                }
                model.apply(&op);
                *acked_by_event.entry(op.event_name()).or_default() += 1;
                acked += 1;
                in_flight = None;
            } else if line.starts_with("FAIL ") {
                panic!("run {run} (seed {seed}): a call the child's exact view allowed failed: {line}");
            }
        }

        // Reopen and compare.
        sqlite_integrity_check(&dir);
        let store =
            Keystead::open(&dir).unwrap_or_else(|e| panic!("run {run}: the store does not open after a kill: {e}"));
        let observed = observe(&store);
        if observed != model.as_observed() {
            let op = in_flight
                .clone()
                .unwrap_or_else(|| panic!("run {run} (seed {seed}): store differs from the acknowledged model and no call was in flight\nmodel: {:#?}\nstore: {observed:#?}", model.as_observed()));
            let op = match op {
                Op::Create { description, key_id: None } => {
                    let new: Vec<&String> = observed.keys.keys().filter(|k| !model.keys.contains_key(*k)).collect();
                    assert_eq!(new.len(), 1, "run {run}: an in-flight CreateKey left {} new keys", new.len());
                    Op::Create { description, key_id: Some(new[0].clone()) }
                }
                Op::Grant { key_id, name, grant_id: None } => {
                    let known = &model.keys[&key_id].grants;
                    let new: Vec<&String> =
                        observed.keys[&key_id].grants.iter().filter(|g| !known.contains(*g)).collect();
                    assert_eq!(new.len(), 1, "run {run}: an in-flight CreateGrant left {} new grants", new.len());
                    Op::Grant { key_id, name, grant_id: Some(new[0].clone()) }
                }
                other => other,
            };
            let mut after = model.clone();
            after.apply(&op);
            assert_eq!(
                observed,
                after.as_observed(),
                "run {run} (seed {seed}): the store is neither before nor after the in-flight call {op:?}"
            );
            model = after;
            in_flight_applied += 1;
        }
        if in_flight.is_some() {
            in_flight_total += 1;
        }
        for b in blobs.iter_mut().filter(|b| !b.verified) {
            if model.keys.get(&b.key_id).map(|k| k.state) == Some(KeyState::Enabled) {
                check_blob(&store, b);
                b.verified = true;
            }
        }
        drop(store);
    }

    // Final pass: make every key usable again and decrypt every acknowledged blob.
    sqlite_integrity_check(&dir);
    let store = Keystead::open(&dir).unwrap();
    assert_eq!(observe(&store), model.as_observed(), "final state differs from the model");
    for (id, view) in &model.keys {
        if view.state == KeyState::PendingDeletion {
            store.cancel_key_deletion(id).unwrap();
        }
        store.enable_key(id).unwrap();
    }
    for b in &blobs {
        check_blob(&store, b);
    }
    // The audit log survived every kill: it verifies (segments of killed writers were sealed as
    // recovered by the next opener), and every acknowledged call has its event (an event is
    // written before the call returns, so a kill after the acknowledgement cannot lose it).
    let audit_dir = dir.join("audit");
    let report = keystead_core::audit::verify(&audit_dir, store.audit_log().unwrap().public_key()).unwrap();
    assert!(report.is_valid(), "the audit log does not verify after the kills: {:?}", report.problems);
    let mut logged: BTreeMap<String, u64> = BTreeMap::new();
    for event in keystead_core::audit::read_events(&audit_dir).unwrap() {
        if event.event.get("errorCode").is_none() {
            *logged.entry(event.event["eventName"].as_str().unwrap_or("").to_owned()).or_default() += 1;
        }
    }
    for (name, count) in &acked_by_event {
        let found = logged.get(*name).copied().unwrap_or(0);
        assert!(
            found >= *count,
            "{count} acknowledged {name} calls but {found} successful {name} events in the audit log"
        );
    }
    let elapsed = started.elapsed();
    println!(
        "crash_safety: {runs} kill -9 runs ({early_kills} counted from spawn), {acked} acknowledged ops checked ({} encrypt blobs decrypted), \
         {in_flight_applied}/{in_flight_total} in-flight calls found committed, {} keys, {} aliases, \
         mean kill delay {} ms, seed {base_seed}, elapsed {:.1} s",
        blobs.len(),
        model.keys.len(),
        model.aliases.len(),
        total_delay_ms / (runs - early_kills).max(1),
        elapsed.as_secs_f64()
    );
    println!(
        "crash_safety: acknowledged calls by operation (each found in the verified audit log): {acked_by_event:?}"
    );
}

/// Creates a store folder holding what a creator killed part-way leaves behind.
fn half_created_store(root_key: &[u8], with_schema: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::OpenOptionsExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("store");
    std::fs::create_dir(&dir).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join(keystead_core::KEY_FILE_NAME))
        .unwrap();
    file.write_all(root_key).unwrap();
    if with_schema {
        // `SqliteStorage::open(.., true)` commits the schema (tables + user_version) in its own
        // transaction; `finish_new` writes the settings in a second one.
        drop(
            keystead_core::store::sqlite::SqliteStorage::open(&dir.join(keystead_core::DATABASE_FILE_NAME), true)
                .unwrap(),
        );
    }
    (temp, dir)
}

fn assert_usable(dir: &Path) {
    let store = Keystead::open(dir).unwrap_or_else(|e| panic!("the half-created store does not open: {e}"));
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let blob = store.encrypt(EncryptRequest { key_id: &key, plaintext: b"x", ..Default::default() }).unwrap();
    store.decrypt(DecryptRequest { ciphertext_blob: &blob.ciphertext_blob, ..Default::default() }).unwrap();
}

/// Regression test: a creator killed after the schema commit but before the settings commit
/// leaves a database with tables but no root-key check value. Nothing was acknowledged, so the
/// next open finishes the creation (it used to fail for ever with CorruptStoreException).
#[test]
fn creation_killed_between_schema_and_settings_commits_still_opens() {
    let (_temp, dir) = half_created_store(&[7u8; 32], true);
    assert_usable(&dir);
}

/// Regression test: a creator killed while writing `root.key` (before key files were written
/// atomically) left an empty key file and no database; the next open replaces it (it used to
/// fail for ever with IncorrectRootKeyException).
#[test]
fn creation_killed_while_writing_the_root_key_still_opens() {
    let (_temp, dir) = half_created_store(&[], false);
    assert_usable(&dir);
}
