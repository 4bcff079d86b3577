// Package foreground turns a cluster label map into a binary foreground
// mask without ground truth: the one place where mmcseg decides which
// cluster is "the lesion" or "the lung". The kmeans and MMCFormer plugins
// both use it, so that they differ only in their clustering.
//
// The paper's own evaluation picks the cluster with the ground truth (the
// majority label inside the reference mask, then a crop to the dilated
// reference). A user has no ground truth, so these rules are ours,
// deliberately simple and documented here:
//
// DarkLesion (dermoscopy and other colour or grey photographs of a dark
// object on a brighter background): clusters are ranked by mean intensity,
// darkest first; the brightest is the background. For each other one, its
// pixels are split into 4-connected
// components; components lying mostly (more than half their pixels) in a
// band along the image border are dropped — the dark vignette of the
// dermatoscope's field of view —, as are components smaller than MinArea.
// The first cluster that keeps a component wins; its largest
// MaxComponents components (default 1) are kept and their holes filled.
//
// LowDensity (CT in Hounsfield units, for air-filled organs: the lungs):
// the candidate clusters are those whose mean is below LowDensityMax
// (default −400 HU: lung parenchyma is about −900 to −500, soft tissue
// above −100); with none, the mask is empty. Their pixels are split
// into 4-connected components, and components touching the image border
// (the air around the patient, the padding outside a circular field of
// view) or smaller than MinArea are dropped. The largest MaxComponents
// (default 2: two lungs) are kept and their holes (vessels, airways) are
// filled. No absolute threshold decides which pixels are air: slices
// whose air sits at −800 rather than −1000 work the same.
//
// Holes are background regions, 8-connected, that do not reach the image
// border; foreground components are 4-connected, the usual pairing that
// keeps the two definitions consistent.
package foreground
