//! Where a project's files come from: a local directory used in place, or a git repository
//! cloned with the `git` command line into a temporary directory (a `version` — commit, tag or
//! branch — checked out, `#subdir` selecting a sub-directory), and the git facts `mlflow run`
//! tags the run with.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::params::{absolute_against, local_path_of, url_scheme};
use crate::error::{Error, Result};

/// A project ready to load.
#[derive(Debug)]
pub struct FetchedProject {
    /// The project directory (the `#subdir` of the checkout, if one was named).
    pub directory: PathBuf,
    /// `mlflow.source.name`: for a local directory in a git work tree `file://<work tree>#<subdir>`,
    /// else its absolute path; for a cloned repository the URI as given.
    pub source_name: String,
    pub git_commit: Option<String>,
    pub git_repo_url: Option<String>,
    /// The `version` when it names a branch of the repository (tag `mlflow.source.git.branch`).
    pub git_branch: Option<String>,
    /// The clone made for this run, removed once the run is over.
    pub clone_dir: Option<PathBuf>,
}

impl FetchedProject {
    /// Removes the clone this fetch made (nothing for a project used in place).
    pub fn remove_clone(&self) {
        if let Some(dir) = &self.clone_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Splits `uri#subdir` (quotes around the whole URI stripped, as MLflow does); MLflow refuses a
/// `.` anywhere in the sub-directory, which also keeps `..` from leaving the checkout.
pub fn split_subdirectory(uri: &str) -> Result<(String, String)> {
    let unquoted = uri.trim_matches(|c| c == '\'' || c == '"');
    let (base, subdir) = match unquoted.split_once('#') {
        Some((b, s)) => (b.to_string(), s.to_string()),
        None => (unquoted.to_string(), String::new()),
    };
    if subdir.contains('.') {
        return Err(Error::invalid("'.' is not allowed in project subdirectory paths."));
    }
    Ok((base, subdir))
}

/// Fetches the project at `uri` (`cwd` resolves relative paths).
pub fn fetch_project(uri: &str, version: Option<&str>, cwd: &Path) -> Result<FetchedProject> {
    let (base, subdir) = split_subdirectory(uri)?;
    if base.is_empty() {
        return Err(Error::invalid("the project URI is empty"));
    }
    if base.ends_with(".zip") {
        return Err(Error::invalid(format!(
            "project URI {uri}: .zip project archives are not supported by libmlflow; unzip it and pass the directory"
        )));
    }
    let local = local_path_of(&base).map(|p| absolute_against(cwd, &p)).filter(|p| p.is_dir());
    match local {
        Some(dir) if version.is_none() && !is_bare_repository(&dir) => {
            let directory = in_subdirectory(&dir, &subdir)?;
            let git = crate::context::git_info_for(&directory);
            let source_name = if uri.contains('#') {
                format!("{}#{subdir}", dir.display())
            } else {
                git_url_of(&directory).unwrap_or_else(|| directory.display().to_string())
            };
            Ok(FetchedProject {
                directory,
                source_name,
                git_commit: git.commit,
                git_repo_url: git.repo_url.map(|u| strip_credentials(&u)),
                git_branch: None,
                clone_dir: None,
            })
        }
        Some(dir) => {
            if version.is_some() && git_work_tree_of(&dir).is_none() && !is_bare_repository(&dir) {
                return Err(Error::invalid(format!(
                    "Setting a version is only supported for Git project URIs; {} is not in a git repository",
                    dir.display()
                )));
            }
            let mut fetched = clone(uri, &dir.to_string_lossy(), version, &subdir)?;
            // MLflow fetches a local repository in place, giving it the URI as written as its
            // `origin` when it has none: the repository URL tag is that origin, not our clone's.
            let origin = git(&["remote", "get-url", "origin"], Some(&dir)).ok().filter(|u| !u.is_empty());
            let given = if url_scheme(&base) == "file" { base.clone() } else { dir.display().to_string() };
            fetched.git_repo_url = Some(strip_credentials(&origin.unwrap_or(given)));
            Ok(fetched)
        }
        None if is_remote_git_uri(&base) => clone(uri, &base, version, &subdir),
        None => Err(Error::not_found(format!(
            "project URI {uri} is neither an existing directory nor a git repository URI \
             (https://, ssh://, git://, file://, or user@host:path)"
        ))),
    }
}

fn in_subdirectory(root: &Path, subdir: &str) -> Result<PathBuf> {
    let dir = if subdir.is_empty() { root.to_path_buf() } else { root.join(subdir) };
    if !dir.is_dir() {
        return Err(Error::not_found(format!("Could not find subdirectory {subdir} of {}", root.display())));
    }
    Ok(dir)
}

fn is_remote_git_uri(uri: &str) -> bool {
    let scheme = url_scheme(uri);
    if matches!(scheme.as_str(), "http" | "https" | "ssh" | "git" | "file") || scheme.starts_with("git+") {
        return true;
    }
    // scp-like syntax: user@host:path
    scheme.is_empty() && uri.split_once(':').is_some_and(|(host, _)| host.contains('@') && !host.contains('/'))
}

fn is_bare_repository(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// The work tree holding `dir`: the nearest ancestor with a `.git` directory or file.
fn git_work_tree_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// MLflow's source name for a local project in a git work tree: `file://<tree>` plus `#<subdir>`.
fn git_url_of(directory: &Path) -> Option<String> {
    let tree = git_work_tree_of(directory)?;
    let rel = directory.strip_prefix(&tree).ok()?;
    let url = format!("file://{}", tree.display());
    Some(if rel.as_os_str().is_empty() { url } else { format!("{url}#{}", rel.display()) })
}

/// `https://user:token@host/x` → `https://host/x`: credentials must not end up in a tag.
pub fn strip_credentials(url: &str) -> String {
    let scheme = url_scheme(url);
    if scheme.is_empty() {
        return url.to_string();
    }
    let Some(rest) = url[scheme.len() + 1..].strip_prefix("//") else { return url.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => format!("{}://{}{}", &url[..scheme.len()], &authority[at + 1..], &rest[authority_end..]),
        None => url.to_string(),
    }
}

fn git(args: &[&str], dir: Option<&Path>) -> std::result::Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.args(args).env("GIT_TERMINAL_PROMPT", "0").stdin(std::process::Stdio::null());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    match cmd.output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("the `git` command was not found on PATH; install git to run projects from git URIs".into())
        }
        Err(e) => Err(format!("cannot run git: {e}")),
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).trim().to_string()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
    }
}

fn clone(uri: &str, url: &str, version: Option<&str>, subdir: &str) -> Result<FetchedProject> {
    let dst = super::temp_dir("libmlflow-project-")?;
    let result = clone_into(uri, url, version, subdir, &dst);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&dst);
    }
    result
}

fn clone_into(uri: &str, url: &str, version: Option<&str>, subdir: &str, dst: &Path) -> Result<FetchedProject> {
    let dst_text = dst.to_string_lossy();
    git(&["clone", "--quiet", "--no-checkout", url, &dst_text], None)
        .map_err(|e| Error::not_found(format!("cannot clone git repository {uri}: {e}")))?;
    let unable = |e: String| {
        Error::not_found(format!(
            "Unable to checkout version '{}' of git repo {uri} - please ensure that the version exists in the repo. \
             Error: {e}",
            version.unwrap_or("HEAD")
        ))
    };
    match version {
        Some(v) => git(&["checkout", "--quiet", v], Some(dst)).map_err(unable)?,
        // The remote's HEAD branch, which `clone` set up locally.
        None => git(&["checkout", "--quiet"], Some(dst)).map_err(unable)?,
    };
    git(&["submodule", "--quiet", "update", "--init", "--recursive"], Some(dst))
        .map_err(|e| Error::not_found(format!("cannot check out the submodules of {uri}: {e}")))?;
    let directory = in_subdirectory(dst, subdir)?;
    let commit = git(&["rev-parse", "HEAD"], Some(dst)).ok();
    let git_branch = version.filter(|v| {
        let reference = format!("refs/heads/{v}");
        git(&["rev-parse", "--verify", "--quiet", &reference], Some(dst)).is_ok()
    });
    Ok(FetchedProject {
        directory,
        source_name: uri.to_string(),
        git_commit: commit,
        git_repo_url: Some(strip_credentials(url)),
        git_branch: git_branch.map(str::to_string),
        clone_dir: Some(dst.to_path_buf()),
    })
}
