// Package sdk is the segmenter plugin contract: the versioned gRPC service,
// Serve for plugin mains, and the host-side client.
package sdk
