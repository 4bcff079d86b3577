package dicomio

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// ImplementationClassUID identifies mmcseg as the writer of a file
// (0002,0012). It is a 2.25 UID derived from a UUID fixed for the project.
const ImplementationClassUID = "2.25.98932719806192396869497313107224347287"

// ImplementationVersionName is written as (0002,0013).
const ImplementationVersionName = "MMCSEG_1"

// NewUID returns a new, globally unique UID of the form 2.25.<n>, where n
// is a random (version 4) UUID written as a decimal integer (PS3.5 §B.2).
// It is at most 44 characters long.
func NewUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0F | 0x40 // version 4
	b[8] = b[8]&0x3F | 0x80 // RFC 4122 variant
	return "2.25." + new(big.Int).SetBytes(b[:]).String()
}

// ValidUID reports whether s is a well-formed UID: at most 64 characters,
// dot-separated numeric components without leading zeros (PS3.5 §9.1).
func ValidUID(s string) error {
	if s == "" {
		return fmt.Errorf("empty UID: %w", ErrValue)
	}
	if len(s) > 64 {
		return fmt.Errorf("UID %q is %d characters long, more than 64: %w", s, len(s), ErrValue)
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) && s[i] != '.' {
			return fmt.Errorf("UID %q has the character %q: %w", s, s[i], ErrValue)
		}
		comp := s[start:i]
		if comp == "" {
			return fmt.Errorf("UID %q has an empty component: %w", s, ErrValue)
		}
		if len(comp) > 1 && comp[0] == '0' {
			return fmt.Errorf("UID %q has a component with a leading zero: %w", s, ErrValue)
		}
		start = i + 1
	}
	return nil
}
