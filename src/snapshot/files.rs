//! Where snapshot files are read from: the file system, or an in-memory tree (the built-in
//! demo), so one loader serves both and the demo never touches the disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A read-only tree of snapshot files.
#[derive(Clone, Debug, Default)]
pub(super) enum Files {
    #[default]
    Disk,
    /// Full paths (root joined with the relative path) to file contents; directories are
    /// implied by the paths of the files below them.
    Memory(Arc<BTreeMap<PathBuf, String>>),
}

fn not_found(p: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} is not in the in-memory snapshot", p.display()),
    )
}

impl Files {
    pub fn read_to_string(&self, p: &Path) -> io::Result<String> {
        match self {
            Files::Disk => std::fs::read_to_string(p),
            Files::Memory(m) => m.get(p).cloned().ok_or_else(|| not_found(p)),
        }
    }

    /// The direct children of a directory, sorted.
    pub fn entries(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        match self {
            Files::Disk => {
                let mut v = Vec::new();
                for e in std::fs::read_dir(dir)? {
                    v.push(e?.path());
                }
                v.sort();
                Ok(v)
            }
            Files::Memory(m) => {
                let mut v: Vec<PathBuf> = m
                    .keys()
                    .filter_map(|k| {
                        let rest = k.strip_prefix(dir).ok()?;
                        let first = rest.components().next()?;
                        Some(dir.join(first))
                    })
                    .collect();
                v.dedup();
                if v.is_empty() {
                    return Err(not_found(dir));
                }
                v.sort();
                Ok(v)
            }
        }
    }

    pub fn is_dir(&self, p: &Path) -> bool {
        match self {
            Files::Disk => p.is_dir(),
            Files::Memory(m) => m.keys().any(|k| {
                k != p
                    && k.strip_prefix(p)
                        .is_ok_and(|r| r.components().next().is_some())
            }),
        }
    }

    pub fn exists(&self, p: &Path) -> bool {
        match self {
            Files::Disk => p.exists(),
            Files::Memory(m) => m.contains_key(p) || self.is_dir(p),
        }
    }
}
