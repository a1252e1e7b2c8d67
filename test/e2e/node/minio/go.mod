module bmp.local/minio-standin

go 1.25.0
