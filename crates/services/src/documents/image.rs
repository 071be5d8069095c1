//! Taking in an uploaded image: only JPEG and PNG, recognised by their first bytes (never
//! by the name or the claimed type), at most the configured size, decoded with a limit on
//! dimensions and memory, refused when cut short (a truncated JPEG decodes "successfully"
//! in the image crate, its missing part grey: the end-of-image marker after the last scan
//! is checked here), turned upright by its EXIF orientation, and re-encoded as a fresh
//! JPEG: metadata (GPS, comments) and anything appended (polyglots) are gone, and the
//! original bytes are never kept. A 320-pixel thumbnail is made for the reviewer.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::{ErrorKind, ServiceError};

/// The largest width or height accepted.
pub const MAX_DIMENSION: u32 = 8192;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
const THUMBNAIL: u32 = 320;
const QUALITY: u8 = 88;

/// A normalised image.
#[derive(Debug)]
pub struct Ingested {
    pub jpeg: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn refused(code: &'static str, en: &str, zh: &str) -> ServiceError {
    ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field("file")
}

fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageFormat::Png)
    } else {
        None
    }
}

/// Whether a JPEG has its end-of-image marker after its last start-of-scan. Inside the
/// entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so an
/// `FF DA` is a real scan header and an `FF D9` a real end. Phone cameras may append
/// trailers after the end: they are allowed (and dropped by the re-encoding).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_scan {
        Some(at) => bytes[at + 2..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// Whether a PNG has its IEND chunk (a PNG cut short lacks it).
fn png_is_complete(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"IEND")
}

/// Checks and normalises `bytes` (CPU-heavy: call it off the async threads).
pub fn ingest(bytes: &[u8], max_bytes: usize) -> Result<Ingested, ServiceError> {
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    if bytes.is_empty() {
        return Err(refused("empty_file", "the file is empty", "文件为空"));
    }
    let format = sniff(bytes).ok_or_else(|| {
        refused(
            "not_an_image",
            "only JPEG or PNG images are accepted (a photo or a scan); a PDF, HEIC, WebP or any other file is not",
            "只能上传 JPG/JPEG 或 PNG 格式的图片（照片或扫描件），不支持 PDF、HEIC、WebP 等其他格式",
        )
    })?;
    let complete = match format {
        ImageFormat::Jpeg => jpeg_is_complete(bytes),
        _ => png_is_complete(bytes),
    };
    if !complete {
        return Err(truncated());
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    picture.apply_orientation(orientation);
    let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
    let jpeg = encode(&rgb)?;
    let thumbnail = encode(&rgb.thumbnail(THUMBNAIL, THUMBNAIL))?;
    Ok(Ingested {
        jpeg,
        thumbnail,
        width: rgb.width(),
        height: rgb.height(),
    })
}

fn encode(picture: &DynamicImage) -> Result<Vec<u8>, ServiceError> {
    let mut out = Vec::new();
    picture
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, QUALITY))
        .map_err(|e| ServiceError::internal("JPEG encoding", e))?;
    Ok(out)
}

pub fn too_large(max_bytes: usize) -> ServiceError {
    let mb = max_bytes as f64 / (1024.0 * 1024.0);
    ServiceError::new(
        ErrorKind::TooLarge,
        "file_too_large",
        format!("at most {mb:.1} MB per image"),
        format!("图片不能超过 {mb:.1} MB"),
    )
    .with_field("file")
}

fn truncated() -> ServiceError {
    refused(
        "truncated_image",
        "the image is incomplete (cut short); take or scan it again",
        "图片不完整（文件被截断），请重新拍摄或扫描后上传",
    )
}

fn decode_error(e: image::ImageError) -> ServiceError {
    match e {
        image::ImageError::Limits(_) => refused(
            "image_too_big",
            &format!("the image is too big: at most {MAX_DIMENSION} × {MAX_DIMENSION} pixels"),
            &format!("图片尺寸过大，最大为 {MAX_DIMENSION} × {MAX_DIMENSION} 像素"),
        ),
        _ => refused(
            "corrupt_image",
            "the image cannot be read (damaged file)",
            "图片已损坏，无法读取",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        encode(&DynamicImage::ImageRgb8(picture)).unwrap()
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_pixel(width, height, Rgb([10, 200, 30]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_photo_is_re_encoded_without_what_was_appended_to_it() {
        let mut bytes = jpeg(640, 480);
        bytes.extend_from_slice(b"<?php system($_GET['c']); ?>PK\x03\x04");
        let done = ingest(&bytes, 2 * 1024 * 1024).unwrap();
        assert_eq!((done.width, done.height), (640, 480));
        assert!(done.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(!done.jpeg.windows(5).any(|w| w == b"<?php"));
        let thumb = image::load_from_memory(&done.thumbnail).unwrap();
        assert!(thumb.width() <= THUMBNAIL && thumb.height() <= THUMBNAIL);
        let png = ingest(&png(300, 200), 2 * 1024 * 1024).unwrap();
        assert_eq!((png.width, png.height), (300, 200));
    }

    #[test]
    fn what_is_not_an_image_is_refused_by_its_content() {
        for (bytes, what) in [
            (b"%PDF-1.7\n...".to_vec(), "PDF"),
            (b"GIF89a....".to_vec(), "GIF"),
            (b"<html><script>".to_vec(), "HTML"),
            (b"RIFF\0\0\0\0WEBPVP8 ".to_vec(), "WebP"),
        ] {
            let e = ingest(&bytes, 1024).unwrap_err();
            assert_eq!(
                (e.code, e.field.as_deref()),
                ("not_an_image", Some("file")),
                "{what}"
            );
        }
        assert_eq!(ingest(&[], 10).unwrap_err().code, "empty_file");
    }

    #[test]
    fn size_truncation_and_dimension_limits() {
        let bytes = jpeg(200, 200);
        assert_eq!(
            ingest(&bytes, bytes.len() - 1).unwrap_err().code,
            "file_too_large"
        );
        assert!(
            ingest(&bytes, bytes.len()).is_ok(),
            "exactly the limit is accepted"
        );
        let cut = &bytes[..bytes.len() / 3];
        assert_eq!(ingest(cut, 1 << 20).unwrap_err().code, "truncated_image");
        let png = png(50, 50);
        assert_eq!(
            ingest(&png[..png.len() - 20], 1 << 20).unwrap_err().code,
            "truncated_image"
        );
        // A PNG header claiming 12000 × 12000 pixels is refused at the header.
        let mut bomb = png.clone();
        bomb[16..20].copy_from_slice(&12000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&12000u32.to_be_bytes());
        let e = ingest(&bomb, 1 << 20).unwrap_err();
        assert!(
            matches!(e.code, "image_too_big" | "corrupt_image"),
            "{}",
            e.code
        );
    }
}
