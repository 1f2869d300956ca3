//! [`StreamEvent`]: the one serialised shape of a streamed answer, one JSON object per
//! line (`POST /ask` sends them as newline-delimited JSON; the MCP tool keeps the last).

use serde::Serialize;

use crate::{Answer, AskEvent, CheckedSentence, Source};

/// One line of a streamed answer: `{"event": "sources" | "token" | "sentence" |
/// "answer" | "error", ...}`. Tokens are the model's raw text as it comes; sentences
/// are what passed the citation checks; `answer` (last) is the whole [`Answer`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum StreamEvent {
    Sources { sources: Vec<Source> },
    Token { text: String },
    Sentence(CheckedSentence),
    Answer(Box<Answer>),
    Error { error: String },
}

impl StreamEvent {
    /// The line of an event reported while answering.
    pub fn from_event(event: &AskEvent<'_>) -> Self {
        match event {
            AskEvent::Sources(s) => Self::Sources {
                sources: s.to_vec(),
            },
            AskEvent::Token(t) => Self::Token {
                text: (*t).to_string(),
            },
            AskEvent::Sentence(s) => Self::Sentence((*s).clone()),
        }
    }

    /// The event as one line of newline-delimited JSON.
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|e| {
            format!("{{\"event\":\"error\",\"error\":\"cannot serialise an event: {e}\"}}")
        });
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_one_tagged_json_line() {
        let t = StreamEvent::Token { text: "a\n".into() }.line();
        assert_eq!(t, "{\"event\":\"token\",\"text\":\"a\\n\"}\n");
        let s = StreamEvent::Sentence(CheckedSentence {
            text: "x [1].".into(),
            citations: vec![1],
            ..CheckedSentence::default()
        })
        .line();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(v["event"], "sentence");
        assert_eq!(v["citations"][0], 1);
        let a = StreamEvent::Answer(Box::default()).line();
        assert!(a.starts_with("{\"event\":\"answer\",\"question\""));
    }
}
