// Package host runs segmentations: it finds inputs and plugins, streams
// slices to the plugin, and writes SEG, NIfTI and reports.
package host
