// Package nifti reads and writes NIfTI-1 and NIfTI-2 images.
package nifti
