//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package embedded

// fileLock is a no-op where flock is not available: there, two Kring processes on
// one data file are not detected.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) release() {}
