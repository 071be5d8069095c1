//! The PDFs the customer prints: the authorisation letter (实名认证申请授权书) and the
//! application form (申请表), A4, from the entered data, with a Chinese font subset
//! embedded (krilla subsets and adds ToUnicode, so `pdftotext` gives the text back). The
//! font is a configured file (Debian's Noto Sans CJK by default), loaded once and checked
//! when `serve` starts; a character the font lacks (a rare character in a name) is refused
//! with the list of characters, never printed as a blank. Each PDF carries a check code
//! (an HMAC of exactly the data printed): the reviewer compares the code on the stamped,
//! photographed letter with the one the console computes from the stored data, so a
//! letter printed before a change is recognised. The same data give the same bytes (no
//! creation date is written; the printed date is part of the data).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Stroke, StrokeDash};
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::{ErrorKind, ServiceError};

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 64.0;

/// Where the font is: a TrueType/OpenType file or collection and the face in it.
#[derive(Debug, Clone)]
pub struct FontSettings {
    pub path: PathBuf,
    pub index: u32,
}

impl Default for FontSettings {
    /// Noto Sans CJK SC from Debian's `fonts-noto-cjk` (face 2 of the collection).
    fn default() -> Self {
        FontSettings {
            path: PathBuf::from("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
            index: 2,
        }
    }
}

/// The loaded font: krilla's handle for drawing, the bytes for measuring and coverage.
pub struct PdfFont {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
}

impl PdfFont {
    /// Reads and checks the font (it must have the characters the forms print).
    pub fn load(settings: &FontSettings) -> Result<PdfFont, String> {
        let bytes = std::fs::read(&settings.path)
            .map_err(|e| format!("PDF font {}: {e}", settings.path.display()))?;
        Self::from_bytes(bytes, settings.index, &settings.path)
    }

    fn from_bytes(bytes: Vec<u8>, index: u32, path: &Path) -> Result<PdfFont, String> {
        let data = Arc::new(bytes);
        skrifa::FontRef::from_index(&data, index)
            .map_err(|e| format!("PDF font {} face {index}: {e}", path.display()))?;
        let font = Font::new(data.clone().into(), index)
            .ok_or_else(|| format!("PDF font {} face {index}: not usable", path.display()))?;
        let loaded = PdfFont { data, index, font };
        let missing =
            loaded.missing("实名认证申请授权书单位统一社会信用代码经办人（加盖公章）年月日");
        if !missing.is_empty() {
            return Err(format!(
                "PDF font {} face {index} has no Chinese characters",
                path.display()
            ));
        }
        Ok(loaded)
    }

    fn face(&self) -> skrifa::FontRef<'_> {
        // Checked when loaded.
        skrifa::FontRef::from_index(&self.data, self.index).expect("checked font")
    }

    /// The characters of `text` the font cannot print.
    pub fn missing(&self, text: &str) -> Vec<char> {
        let face = self.face();
        let charmap = face.charmap();
        let mut missing: Vec<char> = text
            .chars()
            .filter(|c| !c.is_control() && !c.is_whitespace() && charmap.map(*c).is_none())
            .collect();
        missing.dedup();
        missing
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let face = self.face();
        let charmap = face.charmap();
        let metrics = face.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size)
            })
            .sum()
    }

    /// Greedy line breaking within `width`: a break may fall between any two CJK
    /// characters, a run of ASCII stays whole (unless wider than a line), and closing
    /// punctuation never starts a line.
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        const NO_START: &str = "，。、；：？！）》」』】”’,.;:?!)";
        let mut pieces: Vec<String> = Vec::new();
        for c in text.chars() {
            let joins = c.is_ascii_alphanumeric()
                && pieces
                    .last()
                    .and_then(|p| p.chars().last())
                    .is_some_and(|l| l.is_ascii_alphanumeric());
            if joins || (NO_START.contains(c) && !pieces.is_empty()) {
                if let Some(last) = pieces.last_mut() {
                    last.push(c);
                }
            } else {
                pieces.push(c.to_string());
            }
        }
        let mut lines = vec![String::new()];
        for piece in pieces {
            let line = lines.last_mut().expect("a line");
            let candidate = format!("{line}{piece}");
            if self.width(&candidate, size) <= width || line.is_empty() {
                *line = candidate;
            } else {
                lines.push(piece);
            }
        }
        lines
    }
}

/// A rule of the letter's table: a label and its value.
pub type Row = (String, String);

/// What a PDF says.
pub struct Sheet {
    pub title: String,
    /// Top right: the application number.
    pub number: String,
    pub rows: Vec<Row>,
    /// Paragraphs under the table.
    pub paragraphs: Vec<String>,
    /// A box for the official seal, with the printed date under it.
    pub seal: Option<String>,
    /// `YYYY年MM月DD日`.
    pub date: String,
    /// The check code printed at the foot.
    pub check_code: String,
    pub footer: String,
}

impl Sheet {
    fn all_text(&self) -> String {
        let mut text = format!("{}{}{}{}", self.title, self.number, self.date, self.footer);
        for (label, value) in &self.rows {
            text.push_str(label);
            text.push_str(value);
        }
        for p in &self.paragraphs {
            text.push_str(p);
        }
        if let Some(seal) = &self.seal {
            text.push_str(seal);
        }
        text
    }
}

/// A QR code of `payload` (the application number and check code, which the reviewer's
/// scanner reads instead of typing them) whose bottom-right corner is at (`right`,
/// `bottom`): dark modules as filled squares of one path, the page's white as the quiet zone.
fn qr(surface: &mut krilla::surface::Surface<'_>, payload: &str, right: f32, bottom: f32) {
    const MODULE: f32 = 2.4;
    let Ok(code) = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M) else {
        return;
    };
    let width = code.width();
    let side = width as f32 * MODULE;
    let (left, top) = (right - side, bottom - side);
    let mut path = PathBuilder::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = ((i % width) as f32, (i / width) as f32);
            if let Some(rect) = Rect::from_xywh(left + x * MODULE, top + y * MODULE, MODULE, MODULE)
            {
                path.push_rect(rect);
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
        surface.draw_path(&path);
    }
}

/// A thin line (the stroke is set for it alone: a stroke left set would outline the text).
fn rule(surface: &mut krilla::surface::Surface<'_>, x1: f32, y1: f32, x2: f32, y2: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x1, y1);
    path.line_to(x2, y2);
    if let Some(p) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.6,
            ..Stroke::default()
        }));
        surface.draw_path(&p);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
}

/// Renders `sheet` as one A4 page.
pub fn render(font: &PdfFont, sheet: &Sheet) -> Result<Vec<u8>, ServiceError> {
    let missing = font.missing(&sheet.all_text());
    if !missing.is_empty() {
        let list: String = missing
            .iter()
            .collect::<Vec<_>>()
            .iter()
            .map(|c| format!("“{c}”"))
            .collect::<Vec<_>>()
            .join("、");
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "unprintable_characters",
            format!("the font cannot print {list}; please contact the CA to apply at the counter"),
            format!("字体中没有以下字符，无法生成 PDF：{list}。请联系客服到现场办理"),
        )
        .with_field("pdf"));
    }
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(sheet.title.clone()));
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| ServiceError::internal("pdf", "page size"))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let text = |surface: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, s: &str| {
        surface.draw_text(
            Point::from_xy(x, y),
            font.font.clone(),
            size,
            s,
            false,
            TextDirection::Auto,
        );
    };
    let body = PAGE_WIDTH - 2.0 * MARGIN;
    let title_size = 20.0;
    let title_x = (PAGE_WIDTH - font.width(&sheet.title, title_size)) / 2.0;
    text(
        &mut surface,
        title_x,
        MARGIN + 20.0,
        title_size,
        &sheet.title,
    );
    let number = format!("申请单号：{}", sheet.number);
    text(
        &mut surface,
        PAGE_WIDTH - MARGIN - font.width(&number, 10.0),
        MARGIN + 48.0,
        10.0,
        &number,
    );

    // The table: label column, value column wrapped inside its cell.
    let size = 11.0;
    let line = 17.0;
    let label_width = 130.0;
    let mut y = MARGIN + 64.0;
    rule(&mut surface, MARGIN, y, MARGIN + body, y);
    for (label, value) in &sheet.rows {
        let lines = font.wrap(value, size, body - label_width - 16.0);
        let height = line * lines.len() as f32 + 10.0;
        text(&mut surface, MARGIN + 8.0, y + 17.0, size, label);
        for (i, part) in lines.iter().enumerate() {
            text(
                &mut surface,
                MARGIN + label_width + 8.0,
                y + 17.0 + line * i as f32,
                size,
                part,
            );
        }
        rule(&mut surface, MARGIN, y, MARGIN, y + height);
        rule(
            &mut surface,
            MARGIN + label_width,
            y,
            MARGIN + label_width,
            y + height,
        );
        rule(&mut surface, MARGIN + body, y, MARGIN + body, y + height);
        y += height;
        rule(&mut surface, MARGIN, y, MARGIN + body, y);
    }
    y += 28.0;
    for paragraph in &sheet.paragraphs {
        for part in font.wrap(&format!("　　{paragraph}"), 12.0, body) {
            text(&mut surface, MARGIN, y, 12.0, &part);
            y += 20.0;
        }
        y += 6.0;
    }
    if let Some(seal) = &sheet.seal {
        let side = 140.0;
        let x = PAGE_WIDTH - MARGIN - side;
        y += 10.0;
        surface.set_stroke(Some(Stroke {
            width: 0.8,
            dash: Some(StrokeDash {
                array: vec![4.0, 3.0],
                offset: 0.0,
            }),
            ..Stroke::default()
        }));
        surface.set_fill(None);
        let mut path = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(x, y, side, side) {
            path.push_rect(rect);
        }
        if let Some(p) = path.finish() {
            surface.draw_path(&p);
        }
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
        text(
            &mut surface,
            x + (side - font.width(seal, 10.0)) / 2.0,
            y + side / 2.0,
            10.0,
            seal,
        );
        text(
            &mut surface,
            x + (side - font.width(&sheet.date, 11.0)) / 2.0,
            y + side + 22.0,
            11.0,
            &sheet.date,
        );
    } else {
        text(
            &mut surface,
            PAGE_WIDTH - MARGIN - font.width(&sheet.date, 11.0),
            y + 10.0,
            11.0,
            &sheet.date,
        );
    }
    qr(
        &mut surface,
        &format!("CERTHALL-CHECK:{}:{}", sheet.number, sheet.check_code),
        PAGE_WIDTH - MARGIN,
        PAGE_HEIGHT - MARGIN - 6.0,
    );
    let check = format!("核验码：{}", sheet.check_code);
    text(
        &mut surface,
        MARGIN,
        PAGE_HEIGHT - MARGIN - 14.0,
        10.0,
        &check,
    );
    text(
        &mut surface,
        (PAGE_WIDTH - font.width(&sheet.footer, 9.0)) / 2.0,
        PAGE_HEIGHT - MARGIN + 6.0,
        9.0,
        &sheet.footer,
    );
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| ServiceError::internal("pdf", format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Option<PdfFont> {
        let settings = FontSettings::default();
        settings
            .path
            .exists()
            .then(|| PdfFont::load(&settings).expect("the font loads"))
    }

    #[test]
    fn lines_wrap_inside_the_width_and_punctuation_never_starts_a_line() {
        let Some(font) = font() else {
            panic!("install fonts-noto-cjk (scripts/test.sh does)");
        };
        let text =
            "北京市海淀区中关村南大街甲十八号院北京国际大厦C座十二层一二零八室，邮政编码100081。";
        let lines = font.wrap(text, 11.0, 150.0);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), text, "nothing lost or added");
        for line in &lines {
            assert!(font.width(line, 11.0) <= 150.0 + 11.0, "{line}");
            assert!(!line.starts_with('，') && !line.starts_with('。'), "{line}");
        }
        assert!(
            lines.iter().any(|l| l.contains("100081")),
            "an ASCII run stays whole"
        );
    }

    #[test]
    fn a_character_the_font_lacks_is_named_not_printed_blank() {
        let Some(font) = font() else {
            panic!("install fonts-noto-cjk (scripts/test.sh does)");
        };
        assert_eq!(font.missing("北京𠀀科技"), vec!['𠀀']);
        let sheet = Sheet {
            title: "实名认证申请授权书".into(),
            number: "SQ1".into(),
            rows: vec![("单位名称".into(), "北京𠀀科技有限公司".into())],
            paragraphs: vec![],
            seal: None,
            date: "2026年12月02日".into(),
            check_code: "ABCD-EFGH".into(),
            footer: "CertHall".into(),
        };
        let e = render(&font, &sheet).unwrap_err();
        assert_eq!(e.code, "unprintable_characters");
        assert!(e.message_zh.contains("𠀀"));
    }
}
