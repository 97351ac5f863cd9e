//! The output directory, published with [`crate::publish`]: the snapshot is written into a
//! new version beside `--out` and `--out` is switched to it atomically only when the
//! collection is complete, so a failed, interrupted or killed run leaves the previous
//! snapshot (or nothing) at `--out`, and the next run cleans what it left.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::CollectError;
use crate::publish::{Publication, PublishError};

/// A snapshot being written. Dropping it without [`Staging::commit`] removes it.
#[derive(Debug)]
pub struct Staging {
    /// Where the snapshot is written (a real directory).
    pub tmp: PathBuf,
    publication: Publication,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CollectError + '_ {
    move |source| CollectError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl From<PublishError> for CollectError {
    fn from(e: PublishError) -> CollectError {
        match e {
            PublishError::Usage(m) => CollectError::Usage(m),
            PublishError::Io { path, source } => CollectError::Io { path, source },
        }
    }
}

impl Staging {
    /// Checks `target` and starts a new version of it. An existing `target` must be a
    /// directory that is empty or an earlier snapshot (it has `manifest.json`); it is
    /// replaced on commit, never before. Only one run at a time may write a `target`.
    pub fn new(target: &Path) -> Result<Staging, CollectError> {
        if target.as_os_str().is_empty() {
            return Err(CollectError::Usage("--out: empty path".into()));
        }
        recover_legacy_backup(target)?;
        if target.exists() {
            if !target.is_dir() {
                return Err(CollectError::Usage(format!(
                    "--out {}: exists and is not a directory; choose another path",
                    target.display()
                )));
            }
            let non_empty = std::fs::read_dir(target)
                .map_err(io(target))?
                .next()
                .is_some();
            if non_empty && !target.join("manifest.json").is_file() {
                return Err(CollectError::Usage(format!(
                    "--out {}: exists, is not empty and is not a pathhound snapshot (no manifest.json); choose a new directory or remove it",
                    target.display()
                )));
            }
        }
        let publication = Publication::begin(target, "--out")?;
        Ok(Staging {
            tmp: publication.dir().to_path_buf(),
            publication,
        })
    }

    /// Switches `--out` to the finished snapshot (the earlier one is removed after).
    pub fn commit(self) -> Result<PathBuf, CollectError> {
        Ok(self.publication.commit()?)
    }
}

/// The earlier scheme renamed `--out` to `.NAME.old` before moving the new snapshot in; a
/// kill between the two renames left `--out` missing and the previous snapshot there. Put it
/// back (one rename); when `--out` exists, `.NAME.old` is an older snapshot and goes.
fn recover_legacy_backup(target: &Path) -> Result<(), CollectError> {
    let (Some(name), Some(parent)) = (target.file_name(), target.parent()) else {
        return Ok(());
    };
    let mut old_name = std::ffi::OsString::from(".");
    old_name.push(name);
    old_name.push(".old");
    let old = parent.join(old_name);
    if !old.join("manifest.json").is_file() {
        return Ok(());
    }
    if std::fs::symlink_metadata(target).is_err() {
        std::fs::rename(&old, target).map_err(io(target))
    } else {
        std::fs::remove_dir_all(&old).map_err(io(&old))
    }
}

/// Writes `v` as pretty JSON (as the AWS CLI prints it) to `path`, creating folders.
pub fn write_json(path: &Path, v: &Value) -> Result<(), CollectError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io(p))?;
    }
    let mut text = serde_json::to_string_pretty(v).map_err(|e| CollectError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(io(path))?;
    crate::publish::file_written("collect");
    Ok(())
}

/// Writes raw bytes to `path`, creating folders.
pub fn write_bytes(path: &Path, b: &[u8]) -> Result<(), CollectError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io(p))?;
    }
    std::fs::write(path, b).map_err(io(path))?;
    crate::publish::file_written("collect");
    Ok(())
}

/// A folder name for a resource whose name may hold `/` or other separators.
pub fn folder_name(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+=@,".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out == "." || out == ".." {
        format!("_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "pathhound-out-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn dropped_staging_leaves_nothing() {
        let d = tmpdir("drop");
        let target = d.join("snap");
        let s = Staging::new(&target).unwrap();
        write_json(&s.tmp.join("111111111111/iam.json"), &serde_json::json!({})).unwrap();
        drop(s);
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn commit_replaces_an_earlier_snapshot_and_refuses_other_directories() {
        let d = tmpdir("commit");
        let target = d.join("snap");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("manifest.json"), "{\"old\": true}").unwrap();
        let s = Staging::new(&target).unwrap();
        std::fs::write(s.tmp.join("manifest.json"), "{\"new\": true}").unwrap();
        s.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("manifest.json")).unwrap(),
            "{\"new\": true}"
        );
        // the snapshot (a symlink) and its store with one version
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2, "no leftovers");
        assert_eq!(
            std::fs::read_dir(d.join(".snap.pathhound"))
                .unwrap()
                .count(),
            2
        );

        let other = d.join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "mine").unwrap();
        let e = Staging::new(&other).unwrap_err();
        assert!(e.to_string().contains("not a pathhound snapshot"), "{e}");
        let file = d.join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(Staging::new(&file).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("prod/db/password"), "prod_db_password");
        assert_eq!(folder_name(".."), "_..");
        assert_eq!(folder_name(""), "_");
        assert_eq!(folder_name("queue-1.fifo"), "queue-1.fifo");
    }
}
