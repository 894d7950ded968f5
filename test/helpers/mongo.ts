import mongoose from 'mongoose';

/** Drops a MongoDB-backed test's own database (its URI names it), and closes the connection used for that. */
export async function dropMongoDatabase(uri: string): Promise<void> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}
