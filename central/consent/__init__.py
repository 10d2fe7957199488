"""Care recipients and their consent: versions, pauses, personal codes and the signed copies sent to nodes."""
