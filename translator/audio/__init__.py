"""Audio in and out: files, sound devices, live sources, playback sinks and the dub track."""
