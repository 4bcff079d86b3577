// Package prep turns a slice's pixels into what mmcseg's segmenters work
// on, the same way for every plugin: three planes in [0, 1] for the
// clustering (the model's input or the k-means features), and the
// physical intensity the foreground rules judge the clusters by.
//
// What an input is (its Kind) follows from its pixel format, DICOM
// modality and photometric interpretation (KindOf):
//
//   - CT: floating-point values with modality CT, in Hounsfield units. The
//     planes are the values through a window, by default the lung window
//     (level −600, width 1500: −1350 HU and below are 0, 150 HU and above
//     are 1). The authors had 8-bit lung images (method doc §2); the window
//     is our choice. The intensity is the HU value itself, so that rules
//     speak in physical units (air, lung, soft tissue).
//   - Colour: RGB photographs (dermoscopy). The planes are R, G, B divided
//     by 255, as the authors read their files (their B, G, R order is the
//     model's business, not ours). The intensity is the luminance
//     0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), 0..255.
//   - Grey: any other grey image (8-bit photographs, MR, PET, modality
//     unknown). The planes are min–max scaled over the slice, so that
//     images of any range use the model's whole input range. The intensity
//     is the value as displayed: for MONOCHROME1, where the smallest value
//     is shown white, it is negated, so that "dark" keeps its meaning.
//
// Normalize overrides the planes' mapping (Window, MinMax, or None: 8-bit
// values divided by 255, floating-point values taken as they are and
// required to lie in [0, 1]); the intensity never changes.
//
// Window and min–max planes are rounded to multiples of 1/255, as if the
// slice had been written to an 8-bit file and read back: the reference
// model only ever saw 8-bit images, and k-means loses nothing by it.
// Non-finite values (NaN, ±Inf) are errors, never guessed.
package prep
