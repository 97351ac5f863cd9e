//! Where snapshot files are read from: the file system, or an in-memory tree (the built-in
//! demo), so one loader serves both and the demo never touches the disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A read-only tree of snapshot files.
#[derive(Clone, Debug)]
pub(super) enum Files {
    /// Files under `root` (canonical): nothing that resolves outside it is read, so a link in
    /// a snapshot cannot make the loader read another file of the machine.
    Disk { root: PathBuf },
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
    /// The snapshot directory `dir` on disk (which may itself be a link, as `collect --out` is).
    pub fn disk(dir: &Path) -> io::Result<Files> {
        Ok(Files::Disk {
            root: std::fs::canonicalize(dir)?,
        })
    }

    /// Refuses a path that resolves outside the snapshot (through a symbolic link).
    fn inside(root: &Path, p: &Path) -> io::Result<()> {
        let real = std::fs::canonicalize(p)?;
        if real.starts_with(root) {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "is a link to {}, outside the snapshot {}; a snapshot must hold its own files (copy the file in instead of linking to it)",
                crate::text::quote(&real.display().to_string()),
                crate::text::quote(&root.display().to_string())
            ),
        ))
    }

    pub fn read_to_string(&self, p: &Path) -> io::Result<String> {
        match self {
            Files::Disk { root } => {
                Self::inside(root, p)?;
                std::fs::read_to_string(p)
            }
            Files::Memory(m) => m.get(p).cloned().ok_or_else(|| not_found(p)),
        }
    }

    /// The direct children of a directory, sorted.
    pub fn entries(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        match self {
            Files::Disk { root } => {
                Self::inside(root, dir)?;
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
            Files::Disk { .. } => p.is_dir(),
            Files::Memory(m) => m.keys().any(|k| {
                k != p
                    && k.strip_prefix(p)
                        .is_ok_and(|r| r.components().next().is_some())
            }),
        }
    }

    pub fn exists(&self, p: &Path) -> bool {
        match self {
            Files::Disk { .. } => p.exists(),
            Files::Memory(m) => m.contains_key(p) || self.is_dir(p),
        }
    }
}
