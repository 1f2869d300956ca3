//! Tokenizing prompts with a loaded model's vocabulary.

use llama_cpp_2::token::LlamaToken;

use crate::LoadedModel;

impl LoadedModel {
    /// Tokenizes `text` as a prompt (BOS where the model wants it, special markers parsed).
    pub fn tokenize(&self, text: &str) -> Vec<i32> {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), true, true)
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

    /// Tokenizes `text` as a continuation (no BOS, special markers as text).
    pub fn tokenize_continuation(&self, text: &str) -> Vec<i32> {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), false, false)
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

    /// The ids of every end-of-generation token (end of turn, end of text).
    pub(crate) fn end_tokens(&self) -> Vec<i32> {
        let vocab = self.model.vocab();
        (0..self.model.n_vocab())
            .filter(|&id| vocab.is_eog(LlamaToken(id)))
            .collect()
    }

    /// The text of every token id (lossy where a token is part of a UTF-8 sequence;
    /// special tokens as empty text), computed once per loaded model.
    pub(crate) fn pieces(&self) -> &[String] {
        self.pieces.get_or_init(|| {
            let vocab = self.model.vocab();
            (0..self.model.n_vocab())
                .map(|id| {
                    let t = LlamaToken(id);
                    if vocab.is_eog(t) || vocab.is_control(t) {
                        return String::new();
                    }
                    String::from_utf8_lossy(&vocab.token_to_piece(t, false, None)).into_owned()
                })
                .collect()
        })
    }
}
