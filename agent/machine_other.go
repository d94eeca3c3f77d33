//go:build !linux

package agent

// machineMemory is unknown off Linux; Config.MemoryBytes must be set.
func machineMemory() int64 { return 0 }
