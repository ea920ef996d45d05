"""One thumbnail, end to end: the S3 write its event names, the change test and skipping,
Rekognition, the decision, and the frames Lambda gave up on."""
