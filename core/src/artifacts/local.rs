//! Artifacts on the local filesystem (plain paths and `file:` URIs), MLflow's
//! `LocalArtifactRepository`: a run's artifacts are files under its artifact directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::paths::{join, local_path, logged_file_name, normalize_artifact_path, normalize_optional, split_last};
use super::tree::{download_via_temp, io_error, is_in_progress, write_via_temp};
use super::{ArtifactRepository, FileInfo, Progress};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct LocalArtifactRepository {
    uri: String,
    root: PathBuf,
}

impl LocalArtifactRepository {
    /// A repository at `root` (the directory need not exist yet: logging creates it).
    pub fn new(uri: &str, root: PathBuf) -> LocalArtifactRepository {
        LocalArtifactRepository { uri: uri.to_string(), root }
    }

    /// The directory artifacts are stored under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir_for(&self, artifact_path: Option<&str>) -> Result<PathBuf> {
        Ok(local_path(&self.root, &normalize_optional(artifact_path, "artifact_path")?))
    }
}

impl ArtifactRepository for LocalArtifactRepository {
    fn root_uri(&self) -> &str {
        &self.uri
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn log_artifact(&self, local_file: &Path, artifact_path: Option<&str>, progress: &Progress<'_>) -> Result<()> {
        let name = logged_file_name(local_file)?;
        let dir = self.dir_for(artifact_path)?;
        fs::create_dir_all(&dir).map_err(|e| io_error(e, "creating", &dir))?;
        let target = dir.join(name);
        write_via_temp(&target, |out| {
            let mut src = fs::File::open(local_file).map_err(|e| io_error(e, "reading", local_file))?;
            // Streams in blocks (or copy_file_range): never the whole file in memory.
            progress.copy(&mut src, out).map_err(|e| io_error(e, "copying to", &target))?;
            Ok(())
        })
    }

    fn log_bytes(&self, bytes: &[u8], artifact_file: &str) -> Result<()> {
        let artifact_file = normalize_artifact_path(artifact_file, "artifact_file")?;
        let (dir, name) = split_last(&artifact_file);
        if name.is_empty() {
            return Err(Error::invalid("artifact_file is empty; give a file name such as 'notes/summary.txt'"));
        }
        let dir = local_path(&self.root, dir);
        fs::create_dir_all(&dir).map_err(|e| io_error(e, "creating", &dir))?;
        let target = dir.join(name);
        write_via_temp(&target, |out| io::Write::write_all(out, bytes).map_err(|e| io_error(e, "writing", &target)))
    }

    fn list_artifacts(&self, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let path = normalize_optional(path, "path")?;
        let dir = local_path(&self.root, &path);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| io_error(e, "listing", &dir))? {
            let entry = entry.map_err(|e| io_error(e, "listing", &dir))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if is_in_progress(&name) {
                continue; // a file still being written by a transfer
            }
            let meta = fs::metadata(entry.path()).map_err(|e| io_error(e, "reading", &entry.path()))?;
            let rel = join(&path, &name);
            out.push(if meta.is_dir() {
                FileInfo { path: rel, is_dir: true, file_size: None }
            } else {
                FileInfo { path: rel, is_dir: false, file_size: Some(meta.len() as i64) }
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn is_directory(&self, artifact_path: &str) -> Result<bool> {
        Ok(local_path(&self.root, &normalize_artifact_path(artifact_path, "artifact_path")?).is_dir())
    }

    fn download_file(&self, artifact_path: &str, local_file: &Path, progress: &Progress<'_>) -> Result<()> {
        let src = local_path(&self.root, &normalize_artifact_path(artifact_path, "artifact_path")?);
        let mut input = fs::File::open(&src).map_err(|e| io_error(e, "reading the artifact", &src))?;
        if let Ok(meta) = input.metadata() {
            progress.discovered(meta.len());
        }
        download_via_temp(local_file, |out| {
            progress.copy(&mut input, out).map_err(|e| io_error(e, "downloading to", local_file))?;
            Ok(())
        })
    }
}
