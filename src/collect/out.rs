//! The output directory: everything is written under a hidden sibling temporary directory and
//! renamed into place only when the collection is complete, so a failed run leaves no partial
//! snapshot and an existing one untouched.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::CollectError;

/// A snapshot being written. Dropping it without [`Staging::commit`] removes it.
#[derive(Debug)]
pub struct Staging {
    pub tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CollectError + '_ {
    move |source| CollectError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Staging {
    /// Checks `target` and creates the temporary directory beside it. An existing `target` must
    /// be a directory that is empty or an earlier snapshot (it has `manifest.json`); it is
    /// replaced on commit, never before.
    pub fn new(target: &Path) -> Result<Staging, CollectError> {
        if target.as_os_str().is_empty() {
            return Err(CollectError::Usage("--out: empty path".into()));
        }
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
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .ok_or_else(|| {
                CollectError::Usage(format!(
                    "--out {}: needs a final directory name",
                    target.display()
                ))
            })?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = parent.join(format!(
            ".{name}.pathhound-partial-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&tmp).map_err(io(&tmp))?;
        Ok(Staging {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Moves the finished snapshot into place (replacing an earlier one).
    pub fn commit(mut self) -> Result<PathBuf, CollectError> {
        let target = self.target.clone();
        if target.exists() {
            let old = self.tmp.with_extension("old");
            std::fs::rename(&target, &old).map_err(io(&target))?;
            if let Err(e) = std::fs::rename(&self.tmp, &target) {
                // put the previous snapshot back: nothing is lost
                let _ = std::fs::rename(&old, &target);
                return Err(CollectError::Io {
                    path: target,
                    source: e,
                });
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.tmp, &target).map_err(io(&target))?;
        }
        self.committed = true;
        Ok(target)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
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
    std::fs::write(path, text).map_err(io(path))
}

/// Writes raw bytes to `path`, creating folders.
pub fn write_bytes(path: &Path, b: &[u8]) -> Result<(), CollectError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io(p))?;
    }
    std::fs::write(path, b).map_err(io(path))
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
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "no leftovers");

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
