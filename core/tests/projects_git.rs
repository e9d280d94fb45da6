//! Projects from git URIs, with local repositories made by the test (no network): a `file://`
//! bare repository cloned at its HEAD branch, at a tag, at a branch (tagged
//! `mlflow.source.git.branch`), with `#subdir`; the commit and repository URL tags; the clone
//! removed after the run; bad versions and sub-directories refused before any run exists.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use mlflow_core::projects::{self, EnvManager, ProjectRun};
use mlflow_core::{RunStatus, ViewType};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=libmlflow", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git must be installed (scripts/apt-packages.txt)");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit_version(repo: &Path, label: &str) -> String {
    let mlproject = format!(
        "name: git-example\nentry_points:\n  main:\n    parameters:\n      out: string\n    command: \"echo {label} > {{out}}\"\n"
    );
    std::fs::create_dir_all(repo.join("proj")).unwrap();
    std::fs::write(repo.join("proj/MLproject"), mlproject).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", label]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn git_uris_with_versions_and_subdirectories() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q"]);
    let v1 = commit_version(&work, "v1");
    git(&work, &["tag", "v1"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let v3 = commit_version(&work, "v3");
    git(&work, &["checkout", "-q", "main"]);
    let v2 = commit_version(&work, "v2");
    let bare = tmp.path().join("repo.git");
    git(tmp.path(), &["clone", "-q", "--bare", &work.display().to_string(), &bare.display().to_string()]);

    let db = common::TestDb::new();
    let client = db.client();
    let out = tmp.path().join("out.txt");
    let run = |uri: String, version: Option<&str>| {
        let req = ProjectRun {
            uri,
            version: version.map(str::to_string),
            parameters: vec![("out".into(), out.display().to_string())],
            env_manager: Some(EnvManager::Local),
            ..ProjectRun::default()
        };
        projects::run(&client, &req)
    };
    let bare_uri = format!("file://{}#proj", bare.display());
    let cases = [(None, "v2", &v2, None), (Some("v1"), "v1", &v1, None), (Some("feature"), "v3", &v3, Some("feature"))];
    for (version, printed, commit, branch) in cases {
        let submitted = run(bare_uri.clone(), version).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), printed, "version {version:?}");
        let got = client.get_run(submitted.run_id()).unwrap();
        assert_eq!(got.info.status, RunStatus::Finished);
        let tags: BTreeMap<_, _> = got.data.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(tags["mlflow.source.git.commit"], commit.as_str());
        // As MLflow records it: the repository's origin (the bare one was cloned from `work`).
        assert_eq!(tags["mlflow.source.git.repoURL"], work.display().to_string());
        assert_eq!(tags["mlflow.source.name"], bare_uri);
        assert_eq!(tags.get("mlflow.source.git.branch").copied(), branch);
        assert!(submitted.work_dir().ends_with("proj"));
        assert!(!submitted.work_dir().exists(), "the clone is removed once the run is over");
    }
    // A work tree at a version is cloned too (the work tree itself is left alone).
    let submitted = run(format!("file://{}#proj", work.display()), Some("v1")).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "v1");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), v2, "the caller's checkout did not move");
    assert_ne!(submitted.work_dir(), work.join("proj"));
    let repo_url = |run_id: &str| {
        let tags = client.get_run(run_id).unwrap().data.tags;
        tags.into_iter().find(|t| t.key == "mlflow.source.git.repoURL").map(|t| t.value)
    };
    assert_eq!(repo_url(submitted.run_id()), Some(format!("file://{}", work.display())));
    // A work tree with an origin is tagged with the origin's URL (credentials stripped).
    git(&work, &["remote", "add", "origin", "https://user:secret@example.invalid/team/repo.git"]);
    let submitted = run(format!("file://{}#proj", work.display()), Some("v1")).unwrap();
    assert_eq!(repo_url(submitted.run_id()), Some("https://example.invalid/team/repo.git".to_string()));
    git(&work, &["remote", "remove", "origin"]);
    // Without a version a work tree runs in place, tagged with its commit.
    let submitted = run(work.join("proj").display().to_string(), None).unwrap();
    assert_eq!(submitted.work_dir(), work.join("proj"));
    let tags = client.get_run(submitted.run_id()).unwrap().data.tags;
    let source = tags.iter().find(|t| t.key == "mlflow.source.name").unwrap();
    assert_eq!(source.value, format!("file://{}#proj", work.display()));

    let runs_before = runs(&client);
    for (uri, version, expected) in [
        (bare_uri.clone(), Some("no-such-version"), "Unable to checkout version 'no-such-version'"),
        (format!("file://{}#nosub", bare.display()), None, "Could not find subdirectory nosub"),
        (format!("file://{}#../x", bare.display()), None, "'.' is not allowed in project subdirectory paths."),
        (format!("file://{}", tmp.path().join("missing.git").display()), None, "cannot clone git repository"),
        (db.dir.path().display().to_string(), Some("v1"), "Setting a version is only supported for Git project URIs"),
    ] {
        let error = run(uri.clone(), version).expect_err(&uri);
        assert!(error.to_string().contains(expected), "{uri} {version:?}: {error}");
    }
    assert_eq!(runs(&client), runs_before, "refused URIs create no run");
}

fn runs(client: &mlflow_core::Client) -> usize {
    client.search_runs(&["0".to_string()], "", ViewType::All, 1000, &[], None).unwrap().items.len()
}
