//! Source bytes to text: UTF-8, UTF-8 or UTF-16 with a byte-order mark, or a legacy
//! encoding named by a coding line (PEP 263 `# -*- coding: latin-1 -*-`, Emacs and Vim
//! modelines) in the first two lines.

use std::borrow::Cow;
use std::path::Path;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::{IngestError, Result};

/// Whether `bytes` start with a UTF-16 byte-order mark (such text holds NUL bytes and is
/// still text).
pub(crate) fn has_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff])
}

/// The encoding a coding line in the first two lines names, if any: `coding[:=]` then
/// the name (as PEP 263 matches it).
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let Some(at) = line.find("coding") else {
            continue;
        };
        let rest = &line[at + "coding".len()..];
        let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        // Python's spellings too: `latin-1`, `utf_8`, `euc_jp`.
        let found = [name.clone(), name.replace('-', ""), name.replace('_', "-")]
            .iter()
            .find_map(|n| Encoding::for_label(n.as_bytes()));
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The text of a file: its byte-order mark decides first, then UTF-8, then the coding
/// line. Anything else is [`IngestError::NotUtf8`] (naming the first bad byte).
pub fn decode_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<Cow<'a, str>> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !had_errors {
            return Ok(text);
        }
        if encoding == UTF_16LE || encoding == UTF_16BE {
            return Err(IngestError::Encoding {
                path: path.to_path_buf(),
                encoding: encoding.name(),
            });
        }
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(e) => e,
    };
    if let Some(encoding) = declared_encoding(bytes).filter(|&e| e != UTF_8) {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(IngestError::Encoding {
                path: path.to_path_buf(),
                encoding: encoding.name(),
            });
        }
        return Ok(text);
    }
    Err(IngestError::NotUtf8 {
        path: path.to_path_buf(),
        offset: utf8_error.valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String> {
        decode_text(Path::new("x.py"), bytes).map(Cow::into_owned)
    }

    #[test]
    fn boms_coding_lines_and_utf8_decode() {
        assert_eq!(decode("naïve = 1\n".as_bytes()).unwrap(), "naïve = 1\n");
        assert_eq!(decode(b"\xef\xbb\xbfx = 1\n").unwrap(), "x = 1\n");
        let utf16le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("s = 'é'\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16le).unwrap(), "s = 'é'\n");
        let utf16be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("s = 1\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&utf16be).unwrap(), "s = 1\n");
        let latin1 = b"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n";
        assert!(decode(latin1).unwrap().contains("café"));
        let vim = b"# vim: set fileencoding=iso-8859-15 :\ncost = '\xa4'\n";
        assert!(decode(vim).unwrap().contains('€'));
    }

    #[test]
    fn undeclared_legacy_bytes_are_refused_with_the_offset() {
        let err = decode(b"x = 'caf\xe9'\n").unwrap_err();
        assert!(
            matches!(err, IngestError::NotUtf8 { offset: 8, .. }),
            "{err}"
        );
        // A coding line on the third line does not count (PEP 263).
        assert!(decode(b"\n\n# coding: latin-1\n\xe9\n").is_err());
    }
}
