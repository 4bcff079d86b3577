// Package frontend is the part of the kmeans and mmcformer plugins that
// surrounds their clustering: it turns a series and its parameters into
// package prep's preprocessing and package foreground's rule, converts each
// slice, and picks the foreground of a cluster map, so that both plugins
// prepare slices and choose masks the same way.
package frontend
