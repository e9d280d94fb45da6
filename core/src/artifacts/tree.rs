//! What every repository does the same way: logging a directory tree (checked first, then one
//! file at a time), logging bytes through a temporary file, downloading a tree (listing checked
//! entry by entry), and writing a downloaded file under a temporary name renamed into place.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::paths::{join, listed_child, local_path, normalize_artifact_path, normalize_optional, split_last};
use super::{ArtifactRepository, Progress};
use crate::error::{Error, ErrorKind, Result};

/// Deepest directory nesting followed, in a local tree or a server's listing (a listing that
/// never ends is a broken or hostile server).
const MAX_DEPTH: usize = 256;

pub(super) fn log_bytes_via_file<R: ArtifactRepository + ?Sized>(
    repo: &R,
    bytes: &[u8],
    artifact_file: &str,
) -> Result<()> {
    let artifact_file = normalize_artifact_path(artifact_file, "artifact_file")?;
    let (dir, name) = split_last(&artifact_file);
    if name.is_empty() {
        return Err(Error::invalid("artifact_file is empty; give a file name such as 'notes/summary.txt'"));
    }
    let staging = std::env::temp_dir().join(format!("libmlflow-artifact-{}", uuid::Uuid::new_v4().simple()));
    fs::create_dir(&staging).map_err(|e| io_error(e, "creating a staging directory in", &staging))?;
    let file = staging.join(name);
    let outcome = fs::write(&file, bytes)
        .map_err(|e| io_error(e, "writing", &file))
        .and_then(|()| repo.log_artifact(&file, Some(dir), &Progress::none()));
    let _ = fs::remove_dir_all(&staging);
    outcome
}

pub(super) fn log_tree<R: ArtifactRepository + ?Sized>(
    repo: &R,
    local_dir: &Path,
    artifact_path: Option<&str>,
    progress: &Progress<'_>,
) -> Result<()> {
    log_tree_except(repo, local_dir, artifact_path, progress, &[])
}

/// [`log_tree`] leaving out the files at the tree-relative paths in `skip` (a model's MLmodel,
/// which `log_model` uploads in its stamped form instead).
pub(crate) fn log_tree_except<R: ArtifactRepository + ?Sized>(
    repo: &R,
    local_dir: &Path,
    artifact_path: Option<&str>,
    progress: &Progress<'_>,
    skip: &[&str],
) -> Result<()> {
    let artifact_path = normalize_optional(artifact_path, "artifact_path")?;
    let meta = fs::metadata(local_dir).map_err(|e| io_error(e, "reading", local_dir))?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a directory; use log_artifact for a single file",
            local_dir.display()
        )));
    }
    let root = fs::canonicalize(local_dir).map_err(|e| io_error(e, "resolving", local_dir))?;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let mut visited = HashSet::from([root.clone()]);
    collect(&root, local_dir, "", &mut Listing { files: &mut files, dirs: &mut dirs }, &mut visited, 0)?;
    if let Some(store_root) = repo.local_root() {
        // MLflow copies a local tree whole (copytree), empty directories included; object
        // stores and the proxy have no directories of their own to create.
        for dir in std::iter::once(String::new()).chain(dirs) {
            let target = local_path(store_root, &join(&artifact_path, &dir));
            fs::create_dir_all(&target).map_err(|e| io_error(e, "creating", &target))?;
        }
    }
    files.retain(|(file, rel_dir)| {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        !skip.contains(&join(rel_dir, name).as_str())
    });
    let total = files.iter().map(|(file, _)| fs::metadata(file).map(|m| m.len()).unwrap_or(0)).sum();
    progress.plan(total);
    for (file, rel_dir) in files {
        repo.log_artifact(&file, Some(&join(&artifact_path, &rel_dir)), progress)?;
    }
    progress.finish();
    Ok(())
}

/// What a walk of a local tree found: files as `(local path, artifact dir relative to the tree
/// root)` and every directory (relative path).
struct Listing<'a> {
    files: &'a mut Vec<(PathBuf, String)>,
    dirs: &'a mut Vec<String>,
}

/// The files and directories under `dir`, refusing symlinks whose target lies outside `root`
/// and names that are not UTF-8.
fn collect(
    root: &Path,
    dir: &Path,
    rel: &str,
    found: &mut Listing<'_>,
    visited: &mut HashSet<PathBuf>,
    depth: usize,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!("{} is nested more than {MAX_DEPTH} levels deep", dir.display())));
    }
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| io_error(e, "listing", dir))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| io_error(e, "listing", dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().into_string().map_err(|n| {
            Error::invalid(format!("file name {:?} in {} is not UTF-8; artifact names must be", n, dir.display()))
        })?;
        let mut kind = entry.file_type().map_err(|e| io_error(e, "reading", &path))?;
        if kind.is_symlink() {
            let target = fs::canonicalize(&path).map_err(|e| io_error(e, "following the symlink", &path))?;
            if !target.starts_with(root) {
                return Err(Error::invalid(format!(
                    "{} is a symlink to {}, outside the directory being logged ({}); refusing to log it",
                    path.display(),
                    target.display(),
                    root.display()
                )));
            }
            kind = fs::metadata(&target).map_err(|e| io_error(e, "reading", &target))?.file_type();
            if kind.is_dir() && !visited.insert(target) {
                continue; // a link back to a directory already logged: a cycle
            }
        }
        if kind.is_dir() {
            let sub = join(rel, &name);
            found.dirs.push(sub.clone());
            collect(root, &path, &sub, found, visited, depth + 1)?;
        } else if kind.is_file() {
            found.files.push((path, rel.to_string()));
        }
        // Sockets, FIFOs and devices are not artifacts.
    }
    Ok(())
}

pub(super) fn download<R: ArtifactRepository + ?Sized>(
    repo: &R,
    artifact_path: Option<&str>,
    dst: &Path,
    progress: &Progress<'_>,
) -> Result<PathBuf> {
    let artifact_path = normalize_optional(artifact_path, "artifact_path")?;
    fs::create_dir_all(dst).map_err(|e| io_error(e, "creating the destination", dst))?;
    let target = local_path(dst, &artifact_path);
    if repo.is_directory(&artifact_path)? {
        // The whole tree is listed and checked before anything is written, and its size is the
        // progress total.
        let mut plan = DownloadPlan::default();
        plan_dir(repo, &artifact_path, &mut plan, 0)?;
        progress.plan(plan.files.iter().map(|(_, size)| size.unwrap_or(0) as u64).sum());
        for dir in std::iter::once(&artifact_path).chain(&plan.dirs) {
            let local_dir = local_path(dst, dir);
            fs::create_dir_all(&local_dir).map_err(|e| io_error(e, "creating", &local_dir))?;
        }
        for (file, _) in &plan.files {
            repo.download_file(file, &local_path(dst, file), progress)?;
        }
    } else {
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error(e, "creating", parent))?;
        }
        repo.download_file(&artifact_path, &target, progress)?;
    }
    progress.finish();
    Ok(target)
}

/// What a download writes: directories and files (with the size the listing gave), paths
/// relative to the repository root, every one checked to stay under it.
#[derive(Default)]
struct DownloadPlan {
    dirs: Vec<String>,
    files: Vec<(String, Option<i64>)>,
}

fn plan_dir<R: ArtifactRepository + ?Sized>(repo: &R, dir: &str, plan: &mut DownloadPlan, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!(
            "{} lists directories nested more than {MAX_DEPTH} levels deep under '{dir}'",
            repo.root_uri()
        )));
    }
    for entry in repo.list_artifacts(Some(dir))? {
        let child = listed_child(dir, &entry.path, repo.root_uri())?;
        if entry.is_dir {
            plan.dirs.push(child.clone());
            plan_dir(repo, &child, plan, depth + 1)?;
        } else {
            plan.files.push((child, entry.file_size.filter(|s| *s >= 0)));
        }
    }
    Ok(())
}

/// Whether a directory entry is a transfer in progress (see [`write_via_temp`]), which listings
/// leave out: `.<name>.<32 hex>.partial`.
pub(super) fn is_in_progress(name: &str) -> bool {
    let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")) else { return false };
    stem.rsplit_once('.').is_some_and(|(_, id)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Writes `target` in the artifact store through a temporary file beside it (`fill` writes the
/// content), flushed to disk (fsync), renamed into place on success and removed on failure, so a
/// failed transfer leaves no partial file and a stored artifact survives a crash.
pub(super) fn write_via_temp(target: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    write_then_rename(target, Flush::ToDisk, fill)
}

/// Writes a downloaded copy like [`write_via_temp`] (atomic: complete or absent) but without the
/// fsync: a download is a copy of what the store keeps, fetched again if a crash loses it, and
/// MLflow does not fsync downloads either. The fsync of a large file is not free: about a third
/// of a local 1 GiB download's time on the benchmark machine (bench/RESULTS.md, Artifacts).
pub(super) fn download_via_temp(target: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    write_then_rename(target, Flush::PageCache, fill)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flush {
    ToDisk,
    PageCache,
}

fn write_then_rename(target: &Path, flush: Flush, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.partial", uuid::Uuid::new_v4().simple()));
    let mut file =
        File::options().write(true).create_new(true).open(&temp).map_err(|e| io_error(e, "creating", &temp))?;
    let filled = fill(&mut file).and_then(|()| match flush {
        Flush::ToDisk => file.sync_all().map_err(|e| io_error(e, "writing", &temp)),
        Flush::PageCache => Ok(()),
    });
    drop(file);
    let outcome = filled.and_then(|()| fs::rename(&temp, target).map_err(|e| io_error(e, "moving into place", target)));
    if outcome.is_err() {
        let _ = fs::remove_file(&temp);
    }
    outcome
}

/// An I/O error as a clear core error: a missing file is NotFound, a refused one PermissionDenied.
pub(super) fn io_error(e: std::io::Error, doing: &str, path: &Path) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        _ => ErrorKind::Storage,
    };
    Error::new(kind, format!("{doing} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn transfers_in_progress_are_recognised() {
        assert!(super::is_in_progress(".big.bin.0123456789abcdef0123456789abcdef.partial"));
        assert!(!super::is_in_progress(".big.bin.partial"));
        assert!(!super::is_in_progress("notes.partial"));
        assert!(!super::is_in_progress(".hidden"));
    }

    #[test]
    fn a_download_is_complete_or_absent() {
        let dir = std::env::temp_dir().join(format!("libmlflow-tree-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("model.bin");
        super::download_via_temp(&target, |out| std::io::Write::write_all(out, b"weights").map_err(Into::into))
            .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"weights");
        let failed = dir.join("broken.bin");
        let outcome = super::download_via_temp(&failed, |out| {
            std::io::Write::write_all(out, b"half").unwrap();
            Err(crate::error::Error::storage("the connection broke"))
        });
        assert!(outcome.is_err());
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("model.bin")], "no partial file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
