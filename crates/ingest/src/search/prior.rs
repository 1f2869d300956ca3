//! A prior on where an answer lives, applied in hybrid fusion and to lexical ranking:
//! tests and change logs repeat the words of the code and the docs they are about (a
//! test calls the function by name and asserts what it does; a change log names every
//! feature once), so both signals rank them beside, and often above, the thing itself.
//! Unless the query asks for them, they give up a fixed share of the score (fused, or
//! BM25 over its best).

use std::path::{Component, Path};

/// Fused-score penalty of a test file (the fused scale is 0 to 1). `scripts/eval all`,
/// hybrid nDCG@10 / MRR@10 mean at 0.05, 0.15, 0.25, 0.35: 0.868 / 0.849, 0.890 / 0.879,
/// 0.898 / 0.888, 0.899 / 0.889 (pypdf 0.810, 0.859, 0.879, 0.880; urllib3 0.831, 0.861,
/// 0.877, 0.879; the others equal within 0.006); the ask sets' places, where some
/// labelled places are tests, kept theirs but for the fifth set's MRR@10 (0.741 at
/// 0.15, 0.726 at 0.25, 0.721 at 0.35).
pub const TEST_PENALTY: f64 = 0.25;

/// Fused-score penalty of a change log (CHANGES, CHANGELOG, HISTORY, NEWS, release notes).
pub const CHANGELOG_PENALTY: f64 = 0.15;

/// What a path is, as far as the prior cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRole {
    /// A test, a test fixture or a test helper.
    Test,
    /// A change log or release notes.
    Changelog,
    /// Anything else.
    Source,
}

/// The role of `path` from its folders and name alone.
pub fn path_role(path: &Path) -> PathRole {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    if matches!(
        stem,
        "changes"
            | "changelog"
            | "history"
            | "news"
            | "release_notes"
            | "releases"
            | "release-notes"
    ) {
        return PathRole::Changelog;
    }
    let test_dir = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .any(|c| {
            matches!(c, Component::Normal(d) if matches!(
                d.to_string_lossy().to_lowercase().as_str(),
                "test" | "tests" | "testing" | "__tests__" | "spec" | "specs"
            ))
        });
    let test_file = stem.starts_with("test_")
        || stem == "conftest"
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || name.contains(".test.")
        || name.contains(".spec.");
    if test_dir || test_file {
        PathRole::Test
    } else {
        PathRole::Source
    }
}

/// The penalties for query `text`: a query that names tests, changes or upgrades wants
/// them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    test: f64,
    changelog: f64,
}

impl Prior {
    /// The prior for one query.
    pub fn for_query(text: &str) -> Self {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .collect();
        let has = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
        Self {
            test: if has(&["test", "fixture", "mock"]) {
                0.0
            } else {
                TEST_PENALTY
            },
            changelog: if has(&[
                "changelog",
                "change",
                "release",
                "history",
                "version",
                "news",
                "upgrad",
                "migrat",
            ]) {
                0.0
            } else {
                CHANGELOG_PENALTY
            },
        }
    }

    /// The penalty of a content found at `paths`: that of its least penalised location.
    pub fn penalty<'p>(&self, paths: impl IntoIterator<Item = &'p Path>) -> f64 {
        paths
            .into_iter()
            .map(|p| match path_role(p) {
                PathRole::Test => self.test,
                PathRole::Changelog => self.changelog,
                PathRole::Source => 0.0,
            })
            .fold(None, |acc: Option<f64>, p| {
                Some(acc.map_or(p, |a| a.min(p)))
            })
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_and_change_logs_are_told_by_their_paths() {
        let role = |p: &str| path_role(Path::new(p));
        assert_eq!(role("/c/test/test_retry.py"), PathRole::Test);
        assert_eq!(role("/c/src/pkg/tests/helpers.py"), PathRole::Test);
        assert_eq!(role("/c/conftest.py"), PathRole::Test);
        assert_eq!(role("/c/pkg/reader_test.go"), PathRole::Test);
        assert_eq!(role("/c/web/app.spec.ts"), PathRole::Test);
        assert_eq!(role("/c/CHANGES.rst"), PathRole::Changelog);
        assert_eq!(role("/c/docs/changelog.md"), PathRole::Changelog);
        assert_eq!(role("/c/HISTORY"), PathRole::Changelog);
        assert_eq!(role("/c/src/pkg/retry.py"), PathRole::Source);
        assert_eq!(role("/c/src/pkg/testing_utils.py"), PathRole::Source);
        assert_eq!(role("/c/src/contest.py"), PathRole::Source);
    }

    #[test]
    fn a_query_naming_tests_or_changes_lifts_their_penalty() {
        fn paths(ps: &[&'static str]) -> Vec<&'static Path> {
            ps.iter().map(|p| Path::new(*p)).collect()
        }
        let plain = Prior::for_query("retry on 503");
        assert_eq!(plain.penalty(paths(&["/t/tests/a.py"])), TEST_PENALTY);
        assert_eq!(plain.penalty(paths(&["/t/CHANGES.rst"])), CHANGELOG_PENALTY);
        // A content also found in source counts as source.
        assert_eq!(plain.penalty(paths(&["/t/tests/a.py", "/t/src/a.py"])), 0.0);
        assert_eq!(plain.penalty(paths(&[])), 0.0);
        let tests = Prior::for_query("which tests cover retries");
        assert_eq!(tests.penalty(paths(&["/t/tests/a.py"])), 0.0);
        for q in [
            "what changed in version 2",
            "what breaks when upgrading to 2.x",
        ] {
            assert_eq!(Prior::for_query(q).penalty(paths(&["/t/CHANGES.rst"])), 0.0);
        }
    }
}
