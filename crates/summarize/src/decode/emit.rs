//! Turning emitted tokens into streamed text.

use llama_cpp_2::token::LlamaToken;

use super::Generation;
use crate::LoadedModel;

/// Turns emitted tokens into text pieces for the callback (UTF-8 split across tokens is
/// held back until complete).
pub(crate) struct Emitter<'m, F> {
    model: &'m LoadedModel,
    decoder: encoding_rs::Decoder,
    text: String,
    on_piece: F,
}

impl<'m, F: FnMut(&str)> Emitter<'m, F> {
    pub(crate) fn new(model: &'m LoadedModel, on_piece: F) -> Self {
        Self {
            model,
            decoder: encoding_rs::UTF_8.new_decoder(),
            text: String::new(),
            on_piece,
        }
    }

    pub(crate) fn emit(&mut self, token: LlamaToken, margin: f32, out: &mut Generation) {
        out.tokens.push(token.0);
        out.generated_tokens += 1;
        out.margins.push(margin);
        let bytes = self.model.model.vocab().token_to_piece(token, false, None);
        let mut piece = String::with_capacity(bytes.len() + 4);
        let _ = self.decoder.decode_to_string(&bytes, &mut piece, false);
        if !piece.is_empty() {
            (self.on_piece)(&piece);
            self.text.push_str(&piece);
        }
    }

    pub(crate) fn finish(self) -> String {
        self.text
    }
}
