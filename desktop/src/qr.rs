//! Reads the text of a QR code from a picture (a file, or a screenshot pasted from the
//! clipboard): how a sponsor's or a guardian's link gets in without typing.

use std::io::Cursor;

use image::{ImageReader, Limits};

use crate::error::UiError;

/// Largest picture accepted, in bytes (a full-screen PNG of a 4K display is ≈ 10 MB).
const MAX_BYTES: usize = 25 * 1024 * 1024;
/// Largest side accepted, in pixels; also caps what decoding may allocate.
const MAX_SIDE: u32 = 8192;

/// Why a picture gave no text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    /// The bytes are not a PNG or JPEG picture.
    #[error("This file is not a picture Harbor can read (use a PNG or JPEG image).")]
    NotAPicture,
    /// The picture is larger than Harbor reads.
    #[error("This picture is too large ({0}); use a screenshot of the code alone.")]
    TooLarge(String),
    /// No QR code was found.
    #[error("No QR code was found in this picture. Make sure the whole code is visible and sharp.")]
    NoCode,
    /// A code was found but could not be read.
    #[error("A QR code was found but could not be read; try a sharper or larger picture.")]
    Unreadable,
    /// The code holds something other than text.
    #[error("The QR code does not hold text Harbor understands.")]
    NotText,
}

impl From<QrError> for UiError {
    fn from(e: QrError) -> Self {
        UiError::input(e)
    }
}

/// The text of the first readable QR code in a PNG or JPEG picture.
pub fn read(picture: &[u8]) -> Result<String, QrError> {
    if picture.len() > MAX_BYTES {
        return Err(QrError::TooLarge(format!(
            "{} MB",
            picture.len().div_ceil(1024 * 1024)
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(picture))
        .with_guessed_format()
        .map_err(|_| QrError::NotAPicture)?;
    if reader.format().is_none() {
        return Err(QrError::NotAPicture);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(u64::from(MAX_SIDE) * u64::from(MAX_SIDE) * 4);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            QrError::TooLarge(format!("more than {MAX_SIDE} pixels on a side"))
        }
        _ => QrError::NotAPicture,
    })?;
    let grey = decoded.to_luma8();
    let (width, height) = grey.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            grey.get_pixel(x as u32, y as u32).0[0]
        });
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(QrError::NoCode);
    }
    let mut last = QrError::Unreadable;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) if !text.trim().is_empty() => return Ok(text.trim().to_string()),
            Ok(_) => last = QrError::NotText,
            Err(rqrr::DeQRError::EncodingError | rqrr::DeQRError::UnknownDataType) => {
                last = QrError::NotText
            }
            Err(_) => {}
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Luma};
    use qrcode::QrCode;

    /// A QR code of `text`, drawn `scale` pixels per module on a white page, encoded as `format`.
    fn picture(text: &str, format: ImageFormat, margin: u32) -> Vec<u8> {
        let code = QrCode::new(text.as_bytes()).expect("encodable");
        let drawn = code
            .render::<Luma<u8>>()
            .min_dimensions(300, 300)
            .quiet_zone(true)
            .build();
        let mut page = image::GrayImage::from_pixel(
            drawn.width() + 2 * margin,
            drawn.height() + 2 * margin,
            Luma([255]),
        );
        image::imageops::overlay(&mut page, &drawn, i64::from(margin), i64::from(margin));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageLuma8(page)
            .write_to(&mut out, format)
            .expect("encode");
        out.into_inner()
    }

    const LINK: &str = "https://relay.example.org/.well-known/harbor-sponsor/pk_live_0123456789";

    #[test]
    fn reads_a_link_from_png_and_jpeg_screenshots() {
        assert_eq!(read(&picture(LINK, ImageFormat::Png, 0)), Ok(LINK.into()));
        // A code in a corner of a larger screenshot, compressed lossily.
        assert_eq!(
            read(&picture(LINK, ImageFormat::Jpeg, 400)),
            Ok(LINK.into())
        );
    }

    #[test]
    fn bad_pictures_get_a_sentence() {
        assert_eq!(read(b"not a picture at all"), Err(QrError::NotAPicture));
        // A PNG signature with nothing behind it.
        assert_eq!(read(b"\x89PNG\r\n\x1a\n"), Err(QrError::NotAPicture));
        let blank = {
            let mut out = Cursor::new(Vec::new());
            image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(200, 120, Luma([255])))
                .write_to(&mut out, ImageFormat::Png)
                .expect("encode");
            out.into_inner()
        };
        assert_eq!(read(&blank), Err(QrError::NoCode));
        assert!(matches!(
            read(&vec![0u8; MAX_BYTES + 1]),
            Err(QrError::TooLarge(_))
        ));
    }

    #[test]
    fn a_picture_claiming_huge_dimensions_is_refused_before_decoding() {
        // A valid PNG header that announces 100000 × 100000 pixels (a decompression bomb).
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(100_000u32.to_be_bytes());
        ihdr.extend(100_000u32.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        png.extend(13u32.to_be_bytes());
        png.extend(&ihdr);
        png.extend(crc32fast::hash(&ihdr).to_be_bytes());
        let error = read(&png).expect_err("refused");
        assert!(matches!(error, QrError::TooLarge(_)), "{error:?}");
        assert!(error.to_string().contains("too large"));
    }
}
