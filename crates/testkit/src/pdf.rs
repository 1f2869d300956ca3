//! Test-only: tiny PDFs written on the fly (page-count and page-size edge cases that no
//! fixture has).

/// A minimal PDF with one empty page per `(width, height)` in points.
pub fn tiny_pdf(pages: &[(f32, f32)]) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            (0..pages.len())
                .map(|i| format!("{} 0 R", i + 3))
                .collect::<Vec<_>>()
                .join(" "),
            pages.len()
        ),
    ];
    for (w, h) in pages {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] >>"
        ));
    }
    write_pdf(&objects)
}

/// A one-page PDF (US Letter) with `lines` of Helvetica text, 14 points apart, from the
/// top left.
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    text_pdf_sized(lines, 612.0, 792.0)
}

/// A one-page PDF of `width` x `height` points with `lines` of Helvetica text, 14 points
/// apart, from 72 points below the top left.
pub fn text_pdf_sized(lines: &[&str], width: f32, height: f32) -> Vec<u8> {
    let mut stream = format!("BT /F1 12 Tf 72 {} Td 14 TL\n", height - 72.0);
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        stream.push_str(&format!("({escaped}) Tj T*\n"));
    }
    stream.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
        format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    write_pdf(&objects)
}

/// A PDF file of `objects` (numbered from 1; the first is the catalog), with its
/// cross-reference table and trailer.
fn write_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
