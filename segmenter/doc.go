// Package segmenter holds the numeric kernels shared by mmcseg's models and
// the rules that turn cluster maps into masks.
package segmenter
