// Package foreground turns a cluster label map into a binary foreground
// mask without ground truth: the one place where mmcseg decides which
// clusters are "the lesion" or "the lungs". The kmeans and MMCFormer
// plugins both use it, so that they differ only in their clustering.
//
// The paper's own evaluation picks the cluster with the ground truth (the
// majority label inside the reference mask, then a crop to the dilated
// reference). A user has no ground truth, so these rules are ours. Each
// rests on a physical property of the images it is for, judged on the
// pixels' intensity in physical units (package prep: luminance for colour,
// HU for CT); every label, 0 included, is an ordinary cluster. The rule is
// chosen from the kind of image (RuleFor) and can be overridden.
//
// Lesion (dermoscopy; any dark object on brighter skin or background):
//
//  1. The field of view: a dermatoscope leaves a near-black border outside
//     a circle (FieldOfView). Pixels outside that circle, shrunk by 3 %
//     because the vignette darkens gradually, are not candidates. With no
//     such border the whole image is.
//  2. The darker clusters: inside the field of view, each pixel takes its
//     cluster's mean luminance, and Otsu's two-class split of those values
//     separates lesion clusters from skin clusters. A lesion is darker
//     than the skin around it, so the darker class is the lesion; a lesion
//     that falls into several clusters (dark core, lighter rim) is whole.
//  3. Clean-up at the scale of a hair: a closing, then an opening, by a
//     disk of radius Smooth (1 % of the shorter side, about 6 pixels on
//     PH2's 768×576 images). The closing fills the pores a per-pixel
//     clustering leaves in a textured lesion (pigment network, dots); the
//     opening cuts hairs and thin bridges, which would otherwise join the
//     lesion to other dark regions and enclose skin as "holes".
//  4. The largest region (MaxComponents, default 1) of at least MinArea is
//     kept and its holes (glints, regression areas) filled. If nothing is
//     left, the next brighter cluster joins the candidates and step 3 is
//     repeated — never with the brightest cluster, the skin.
//
// Lung (chest CT in HU):
//
//  1. The body: the largest connected region of tissue (above BodyMin,
//     −500 HU), its holes filled. Air around the patient, padding outside
//     the reconstruction circle and the air under the table lie outside it.
//  2. The low-density clusters: those whose mean inside the body is below
//     LowDensityMax (−400 HU: lung parenchyma is about −900 to −500, soft
//     tissue above −100). No absolute threshold decides which pixels are
//     air: slices whose air sits at −800 rather than −1000 work the same.
//  3. Their pixels inside the body make regions; regions touching the image
//     border or smaller than MinArea are dropped, and so are the airways
//     (unless KeepAirways): small regions (below 2 % of the body's area)
//     whose centroid lies within 10 % of the body's width of its midline —
//     the trachea, main bronchi or oesophagus. Each lung lies off the
//     midline and is larger, even near the apex.
//  4. The largest two regions (MaxComponents) are kept — the two lungs —
//     and their holes (vessels, airways inside the lung) filled.
//
// Largest (anything else): the largest region of a single cluster that
// does not touch the image border, holes filled.
//
// Holes are background regions, 8-connected, that do not reach the image
// border; foreground regions are 4-connected, the usual pairing that keeps
// the two definitions consistent. Morphology uses Euclidean disks through
// an exact distance transform.
package foreground
