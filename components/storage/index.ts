export * from "./minio";
