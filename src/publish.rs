//! Publishing a directory so that a crash or kill at any instant leaves either the previous
//! complete version or the new complete one, never a mix, a gap or a leftover that blocks the
//! next run. `collect --out` and `report --out` use it.
//!
//! Layout: versions are written under a hidden sibling `.NAME.pathhound/<version>/` (real
//! files), and `NAME` is a symlink `.NAME.pathhound/<version>`. [`Publication::commit`]
//! creates a new symlink and `rename(2)`s it over `NAME`, which is atomic. An existing real
//! directory `NAME` (an earlier pathhound, or empty) is swapped for the symlink with
//! `renameat2(RENAME_EXCHANGE)` (Linux), atomic too. The previous version is deleted only after
//! the switch.
//!
//! One run at a time per `NAME`: `.NAME.pathhound/lock` is held with `flock` for the whole
//! run, so a second run is refused at once, and whatever a killed run left in the store (a
//! partial version, an old version, a temporary link) is removed by the next run, which holds
//! the lock. Folders of the earlier scheme (`.NAME.pathhound-partial-PID-*` whose process is
//! gone) are removed too.
//!
//! Fault injection (tests only, inert unless set): `PATHHOUND_FAULT` is a comma-separated list
//! of points at which the process kills itself with SIGKILL:
//! - `publish:before-switch`: the new version is complete, `NAME` still shows the previous one;
//! - `publish:after-switch`: `NAME` shows the new version, the previous is not yet removed;
//! - `AREA:after-file:N`: right after the N-th file written by `AREA` (`collect` counts every
//!   snapshot file, `report` every report file; see [`file_written`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Why a directory could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The target cannot be used as it is (exit 2 in the CLI); the message names it.
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A new version of a published directory being written. Dropping it without
/// [`Publication::commit`] removes the version (and the store, when it holds nothing else).
#[derive(Debug)]
pub struct Publication {
    target: PathBuf,
    store: PathBuf,
    store_name: OsString,
    version: PathBuf,
    /// The complete version `target` shows now, if any.
    current: Option<PathBuf>,
    /// `target` is a real directory (not yet one of our symlinks).
    target_is_dir: bool,
    lock: Option<File>,
    committed: bool,
}

impl Publication {
    /// Takes the lock of `target`, cleans what earlier runs left and creates an empty version
    /// to write into. `what` names the option in messages (`--out`). `target` may be missing,
    /// a symlink this module made, or a real directory (the caller decides which real
    /// directories it accepts before calling this).
    pub fn begin(target: &Path, what: &str) -> Result<Publication, PublishError> {
        // `NAME/` would make the system calls follow the symlink: work on `NAME` itself
        let target: PathBuf = target.components().collect();
        let target = target.as_path();
        let show = target.display();
        let name = target
            .file_name()
            .ok_or_else(|| {
                PublishError::Usage(format!("{what} {show}: needs a final directory name"))
            })?
            .to_os_string();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let mut store_name = OsString::from(".");
        store_name.push(&name);
        store_name.push(".pathhound");
        let store = parent.join(&store_name);

        let lock = take_lock(&store, what, target)?;
        // From here on, dropping `p` on an error gives the store back as it was.
        let mut p = Publication {
            target: target.to_path_buf(),
            store,
            store_name,
            version: PathBuf::new(),
            current: None,
            target_is_dir: false,
            lock: Some(lock),
            committed: false,
        };
        match std::fs::symlink_metadata(target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(target)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(target).map_err(io(target))?;
                let Some(v) = version_of(&to, &p.store_name) else {
                    return Err(PublishError::Usage(format!(
                        "{what} {show}: is a symlink to {} that pathhound did not make; remove it or choose another path",
                        to.display()
                    )));
                };
                let dir = p.store.join(v);
                p.current = dir.is_dir().then_some(dir);
            }
            Ok(m) if m.is_dir() => {
                p.current = Some(target.to_path_buf());
                p.target_is_dir = true;
            }
            Ok(_) => {
                return Err(PublishError::Usage(format!(
                    "{what} {show}: exists and is not a directory; choose another path"
                )));
            }
        }

        // Everything in the store but the lock and the current version is a leftover of a
        // run that was killed or failed: we hold the lock, so no live run owns it.
        for e in std::fs::read_dir(&p.store).map_err(io(&p.store))? {
            let e = e.map_err(io(&p.store))?;
            let path = e.path();
            if e.file_name() == "lock" || p.current.as_deref() == Some(path.as_path()) {
                continue;
            }
            remove_any(&path)?;
        }
        remove_legacy_partials(&parent, &name)?;

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let version = p.store.join(format!("v{nanos}-{}", std::process::id()));
        std::fs::create_dir(&version).map_err(io(&version))?;
        p.version = version;
        Ok(p)
    }

    /// The directory to write the new version into.
    pub fn dir(&self) -> &Path {
        &self.version
    }

    /// The complete version `target` shows until the commit, if any (to carry files over).
    pub fn current(&self) -> Option<&Path> {
        self.current.as_deref()
    }

    /// Makes the new version what `target` shows, atomically, then removes the previous one.
    pub fn commit(mut self) -> Result<PathBuf, PublishError> {
        fault("publish:before-switch");
        let Some(vname) = self.version.file_name() else {
            return Err(io(&self.version)(std::io::Error::other("no version name")));
        };
        let link_text = Path::new(&self.store_name).join(vname);
        let tmp = self.store.join(format!(".link-{}", std::process::id()));
        if std::fs::symlink_metadata(&tmp).is_ok() {
            std::fs::remove_file(&tmp).map_err(io(&tmp))?;
        }
        std::os::unix::fs::symlink(&link_text, &tmp).map_err(io(&tmp))?;
        if self.target_is_dir {
            // the old real directory lands at `tmp` inside the store, removed below (or by
            // the next run if we are killed first)
            exchange(&tmp, &self.target).map_err(io(&self.target))?;
            self.committed = true;
            fault("publish:after-switch");
            let _ = remove_any(&tmp);
        } else {
            std::fs::rename(&tmp, &self.target).map_err(io(&self.target))?;
            self.committed = true;
            fault("publish:after-switch");
            if let Some(old) = &self.current {
                let _ = std::fs::remove_dir_all(old);
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if !self.version.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.version);
        }
        // Nothing published here: leave no store behind (unlinking the lock while holding it
        // is safe, see `take_lock`).
        let only_lock = std::fs::read_dir(&self.store)
            .map(|d| d.flatten().all(|e| e.file_name() == "lock"))
            .unwrap_or(false);
        if only_lock {
            let _ = std::fs::remove_file(self.store.join("lock"));
            let _ = std::fs::remove_dir(&self.store);
        }
        drop(self.lock.take());
    }
}

/// `link` as this module writes it: `.NAME.pathhound/<version>`, one plain version name.
fn version_of<'a>(link: &'a Path, store_name: &OsString) -> Option<&'a std::ffi::OsStr> {
    let mut c = link.components();
    match (c.next(), c.next(), c.next()) {
        (Some(Component::Normal(s)), Some(Component::Normal(v)), None) if s == store_name => {
            Some(v)
        }
        _ => None,
    }
}

/// Opens and `flock`s `store/lock` (creating the store). A run that gives up removes the
/// lock file while holding it, so after locking we check that the file we hold is still the
/// one at the path, and retry otherwise.
fn take_lock(store: &Path, what: &str, target: &Path) -> Result<File, PublishError> {
    let path = store.join("lock");
    for _ in 0..100 {
        std::fs::create_dir_all(store).map_err(io(store))?;
        let mut f = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&path)(e)),
        };
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let pid = std::fs::read_to_string(&path).unwrap_or_default();
                let pid = match pid.trim() {
                    "" => String::new(),
                    p => format!(" (pid {p})"),
                };
                return Err(PublishError::Usage(format!(
                    "{what} {}: another pathhound run{pid} is writing it; wait for it to finish or choose another path",
                    target.display(),
                )));
            }
            return Err(io(&path)(e));
        }
        let held = f.metadata().map_err(io(&path))?;
        match std::fs::metadata(&path) {
            Ok(m) if m.ino() == held.ino() && m.dev() == held.dev() => {
                f.set_len(0).map_err(io(&path))?;
                writeln!(f, "{}", std::process::id()).map_err(io(&path))?;
                return Ok(f);
            }
            _ => continue,
        }
    }
    Err(io(&path)(std::io::Error::other(
        "the lock file kept disappearing; is another program removing it?",
    )))
}

fn remove_any(p: &Path) -> Result<(), PublishError> {
    let m = std::fs::symlink_metadata(p).map_err(io(p))?;
    if m.is_dir() {
        std::fs::remove_dir_all(p).map_err(io(p))
    } else {
        std::fs::remove_file(p).map_err(io(p))
    }
}

/// Removes `.NAME.pathhound-partial-PID-*` folders (the earlier staging scheme) whose process
/// is gone.
fn remove_legacy_partials(parent: &Path, name: &std::ffi::OsStr) -> Result<(), PublishError> {
    let mut prefix = b".".to_vec();
    prefix.extend_from_slice(name.as_bytes());
    prefix.extend_from_slice(b".pathhound-partial-");
    for e in std::fs::read_dir(parent).map_err(io(parent))? {
        let e = e.map_err(io(parent))?;
        let file_name = e.file_name();
        let Some(rest) = file_name.as_bytes().strip_prefix(prefix.as_slice()) else {
            continue;
        };
        let pid = std::str::from_utf8(rest)
            .ok()
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<i32>().ok());
        if pid.is_some_and(|p| !alive(p)) {
            remove_any(&e.path())?;
        }
    }
    Ok(())
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

/// Swaps two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: two NUL-terminated paths relative to the working directory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "replacing the real directory {} atomically needs Linux; move it away (pathhound then keeps --out as a symlink to the current version)",
        b.display()
    )))
}

fn faults() -> &'static [String] {
    static F: OnceLock<Vec<String>> = OnceLock::new();
    F.get_or_init(|| {
        std::env::var("PATHHOUND_FAULT")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Kills the process with SIGKILL if `point` is listed in `PATHHOUND_FAULT` (tests).
pub fn fault(point: &str) {
    if faults().iter().any(|f| f == point) {
        // SAFETY: signalling ourselves; nothing after it runs.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

/// Counts a file written by `area` (`collect`, `report`) for the `AREA:after-file:N` fault
/// point. Costs nothing when `PATHHOUND_FAULT` is unset.
pub fn file_written(area: &str) {
    if faults().is_empty() {
        return;
    }
    static COUNTS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    let n = {
        let mut c = COUNTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = c.entry(area.to_string()).or_default();
        *n += 1;
        *n
    };
    fault(&format!("{area}:after-file:{n}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "pathhound-publish-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn publish(target: &Path, text: &str) {
        let p = Publication::begin(target, "--out").unwrap();
        std::fs::write(p.dir().join("f"), text).unwrap();
        p.commit().unwrap();
    }

    #[test]
    fn versions_switch_through_a_symlink_and_old_ones_go() {
        let d = tmpdir("switch");
        let t = d.join("out");
        publish(&t, "one");
        assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "one");
        publish(&t, "two");
        assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "two");
        assert!(
            std::fs::symlink_metadata(&t)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(names(&d), [".out.pathhound", "out"]);
        // the lock and exactly one version
        assert_eq!(names(&d.join(".out.pathhound")).len(), 2);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_real_directory_is_exchanged_for_the_symlink() {
        let d = tmpdir("migrate");
        let t = d.join("out");
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join("f"), "old").unwrap();
        let p = Publication::begin(&t, "--out").unwrap();
        assert_eq!(p.current(), Some(t.as_path()));
        std::fs::write(p.dir().join("f"), "new").unwrap();
        p.commit().unwrap();
        assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "new");
        assert_eq!(names(&d.join(".out.pathhound")).len(), 2, "old dir removed");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed_and_a_second_run_is_refused() {
        let d = tmpdir("stale");
        let t = d.join("out");
        publish(&t, "one");
        let store = d.join(".out.pathhound");
        std::fs::create_dir_all(store.join("v1-999999/deep")).unwrap();
        std::os::unix::fs::symlink(".out.pathhound/v1-999999", store.join(".link-5")).unwrap();
        // the earlier scheme's partial folder of a process that is gone
        std::fs::create_dir_all(d.join(".out.pathhound-partial-999999999-1/x")).unwrap();

        let p = Publication::begin(&t, "--out").unwrap();
        assert_eq!(names(&d), [".out.pathhound", "out"]);
        assert_eq!(
            names(&store).len(),
            3,
            "lock, current, new: {:?}",
            names(&store)
        );
        let e = Publication::begin(&t, "--out").unwrap_err();
        assert!(e.to_string().contains("another pathhound run"), "{e}");
        drop(p);
        // the failed run left the current version alone
        assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "one");
        assert_eq!(names(&store).len(), 2);

        let other = d.join("elsewhere");
        std::fs::create_dir_all(&other).unwrap();
        let l = d.join("link");
        std::os::unix::fs::symlink(&other, &l).unwrap();
        let e = Publication::begin(&l, "--out").unwrap_err();
        assert!(e.to_string().contains("pathhound did not make"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_trailing_slash_names_the_symlink_not_its_version() {
        let d = tmpdir("slash");
        let t = d.join("out");
        publish(&t, "one");
        let mut slash = t.clone().into_os_string();
        slash.push("/");
        publish(Path::new(&slash), "two");
        assert!(
            std::fs::symlink_metadata(&t)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "two");
        assert_eq!(names(&d.join(".out.pathhound")).len(), 2);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_abandoned_first_run_leaves_nothing() {
        let d = tmpdir("abandon");
        let p = Publication::begin(&d.join("out"), "--out").unwrap();
        std::fs::write(p.dir().join("f"), "x").unwrap();
        drop(p);
        assert!(names(&d).is_empty(), "{:?}", names(&d));
        let _ = std::fs::remove_dir_all(&d);
    }
}
