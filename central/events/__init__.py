"""The event stream in central: group reader, cross-instance mirror, the live feed, acknowledgements."""
