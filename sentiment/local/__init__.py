"""The local stack: the same handler, model server and website as on AWS, on loopback, without Docker."""
