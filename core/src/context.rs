//! The system tags a client adds to every run it creates, as MLflow's default and git run-context
//! providers do: `mlflow.user`, `mlflow.source.name`, `mlflow.source.type` and, when the program
//! lives in a git work tree, `mlflow.source.git.commit` / `.branch` / `.repoURL`.
//!
//! Git is read straight from the repository files (HEAD, refs, packed-refs, config) — no git
//! binary and no library: a training program should not need either to get its commit tagged.

use std::fs;
use std::path::{Path, PathBuf};

use crate::entities::RunTag;

pub const USER_TAG: &str = "mlflow.user";
pub const SOURCE_NAME_TAG: &str = "mlflow.source.name";
pub const SOURCE_TYPE_TAG: &str = "mlflow.source.type";
pub const GIT_COMMIT_TAG: &str = "mlflow.source.git.commit";
pub const GIT_BRANCH_TAG: &str = "mlflow.source.git.branch";
pub const GIT_REPO_URL_TAG: &str = "mlflow.source.git.repoURL";

/// Where a program's code came from, for the git tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub repo_url: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub user: String,
    pub source_name: String,
    /// MLflow's source type: `LOCAL` for a program run by hand (`PROJECT` under `mlflow run`).
    pub source_type: String,
    pub git: GitInfo,
}

impl RunContext {
    /// The context of this process: its user, its main program (argv[0], as MLflow uses
    /// `sys.argv[0]`) and that program's git state.
    pub fn detect() -> Self {
        let program = std::env::args_os()
            .next()
            .filter(|a| !a.is_empty())
            .or_else(|| std::env::current_exe().ok().map(PathBuf::into_os_string))
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_else(|| "<console>".into());
        Self::for_source(program)
    }

    /// The context for a given main file (a binding's user script): this process's user, that
    /// file as `mlflow.source.name`, and the git state of the work tree holding it.
    pub fn for_source(source_name: impl Into<String>) -> Self {
        let source_name = source_name.into();
        let git = git_info_for(Path::new(&source_name));
        RunContext { user: detect_user(), source_type: "LOCAL".into(), git, source_name }
    }

    pub fn tags(&self) -> Vec<RunTag> {
        let mut tags = vec![
            RunTag { key: USER_TAG.into(), value: self.user.clone() },
            RunTag { key: SOURCE_NAME_TAG.into(), value: self.source_name.clone() },
            RunTag { key: SOURCE_TYPE_TAG.into(), value: self.source_type.clone() },
        ];
        if let Some(commit) = &self.git.commit {
            tags.push(RunTag { key: GIT_COMMIT_TAG.into(), value: commit.clone() });
            for (key, value) in [(GIT_BRANCH_TAG, &self.git.branch), (GIT_REPO_URL_TAG, &self.git.repo_url)] {
                if let Some(v) = value {
                    tags.push(RunTag { key: key.into(), value: v.clone() });
                }
            }
        }
        tags
    }
}

/// MLflow's user: `MLFLOW_TRACKING_USERNAME`, else Python's `getpass.getuser()` (the login
/// variables, then the password database), else `unknown`.
fn detect_user() -> String {
    for var in ["MLFLOW_TRACKING_USERNAME", "LOGNAME", "USER", "LNAME", "USERNAME"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return v.to_string_lossy().into_owned();
        }
    }
    password_database_user().unwrap_or_else(|| "unknown".into())
}

fn password_database_user() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: getpwuid_r writes into `pwd` and `buf` (sized as passed) and sets `result` to
    // either NULL or `&pwd`; pw_name then points into `buf`, which outlives its use here.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(libc::getuid(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        Some(std::ffi::CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned())
    }
}

/// The git state of the work tree holding `main_file` (or the current directory when the file
/// is not found, e.g. a bare program name found through PATH).
pub fn git_info_for(main_file: &Path) -> GitInfo {
    let start = match fs::canonicalize(main_file) {
        Ok(p) if p.is_file() => p.parent().map(Path::to_path_buf),
        Ok(p) => Some(p),
        Err(_) => std::env::current_dir().ok(),
    };
    start.and_then(|dir| find_git_dir(&dir)).map(|g| read_git(&g)).unwrap_or_default()
}

/// The repository's git directory and its common directory (they differ for linked work trees).
struct GitDir {
    git_dir: PathBuf,
    common_dir: PathBuf,
}

fn find_git_dir(start: &Path) -> Option<GitDir> {
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else if dot_git.is_file() {
            // A work tree or submodule: ".git" is a file saying "gitdir: <path>".
            let text = fs::read_to_string(&dot_git).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            dir.join(target)
        } else {
            continue;
        };
        let common_dir = fs::read_to_string(git_dir.join("commondir"))
            .map(|c| git_dir.join(c.trim()))
            .unwrap_or_else(|_| git_dir.clone());
        return Some(GitDir { git_dir, common_dir });
    }
    None
}

fn read_git(g: &GitDir) -> GitInfo {
    let head = match fs::read_to_string(g.git_dir.join("HEAD")) {
        Ok(h) => h.trim().to_string(),
        Err(_) => return GitInfo::default(),
    };
    let (commit, branch) = match head.strip_prefix("ref:") {
        Some(reference) => {
            let reference = reference.trim();
            let commit = resolve_ref(g, reference);
            (commit, reference.strip_prefix("refs/heads/").map(str::to_string))
        }
        None => (Some(head).filter(|h| is_sha(h)), None),
    };
    GitInfo { commit, branch, repo_url: origin_url(&g.common_dir) }
}

fn resolve_ref(g: &GitDir, reference: &str) -> Option<String> {
    for dir in [&g.git_dir, &g.common_dir] {
        if let Ok(sha) = fs::read_to_string(dir.join(reference)) {
            let sha = sha.trim();
            if is_sha(sha) {
                return Some(sha.to_string());
            }
        }
    }
    let packed = fs::read_to_string(g.common_dir.join("packed-refs")).ok()?;
    packed.lines().filter(|l| !l.starts_with('#') && !l.starts_with('^')).find_map(|line| {
        let (sha, name) = line.split_once(' ')?;
        (name.trim() == reference && is_sha(sha)).then(|| sha.to_string())
    })
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `remote.origin.url` from the repository's config file.
fn origin_url(common_dir: &Path) -> Option<String> {
    let config = fs::read_to_string(common_dir.join("config")).ok()?;
    let mut in_origin = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let section: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            in_origin = section == "[remote\"origin\"]";
        } else if in_origin {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim().eq_ignore_ascii_case("url") {
                    return Some(value.trim().to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_repo(dir: &Path, head: &str) {
        let git = dir.join(".git");
        fs::create_dir_all(git.join("refs/heads")).unwrap();
        fs::write(git.join("HEAD"), head).unwrap();
        fs::write(git.join("refs/heads/main"), format!("{}\n", "a".repeat(40))).unwrap();
        fs::write(git.join("packed-refs"), format!("# pack-refs\n{} refs/heads/old\n", "b".repeat(40))).unwrap();
        fs::write(
            git.join("config"),
            "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://example.invalid/r.git\n",
        )
        .unwrap();
    }

    #[test]
    fn reads_branch_commit_and_origin() {
        let tmp = tempfile::tempdir().unwrap();
        fake_repo(tmp.path(), "ref: refs/heads/main\n");
        fs::create_dir_all(tmp.path().join("src")).unwrap();
        fs::write(tmp.path().join("src/train.py"), "").unwrap();
        let info = git_info_for(&tmp.path().join("src/train.py"));
        assert_eq!(info.commit.as_deref(), Some("a".repeat(40).as_str()));
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(info.repo_url.as_deref(), Some("https://example.invalid/r.git"));
    }

    #[test]
    fn packed_refs_and_detached_heads() {
        let tmp = tempfile::tempdir().unwrap();
        fake_repo(tmp.path(), "ref: refs/heads/old\n");
        assert_eq!(git_info_for(tmp.path()).commit.as_deref(), Some("b".repeat(40).as_str()));
        fs::write(tmp.path().join(".git/HEAD"), "c".repeat(40)).unwrap();
        let info = git_info_for(tmp.path());
        assert_eq!((info.commit.as_deref(), info.branch), (Some("c".repeat(40).as_str()), None));
    }

    #[test]
    fn tags_include_git_only_with_a_commit() {
        let ctx =
            RunContext { user: "u".into(), source_name: "s".into(), source_type: "LOCAL".into(), ..Default::default() };
        assert_eq!(ctx.tags().len(), 3);
        let ctx = RunContext { git: GitInfo { commit: Some("a".repeat(40)), ..Default::default() }, ..ctx };
        assert!(ctx.tags().iter().any(|t| t.key == GIT_COMMIT_TAG));
        assert!(!detect_user().is_empty());
    }
}
