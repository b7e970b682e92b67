//go:build !linux

package factor

const threadPriorities = false

func lowerThreadPriority(int) {}

func threadNice() (int, error) { return 0, nil }
