/**
 * Loads a lesson's exercise: your answer in lessons/exercises/, or with
 * LESSON_SOLUTIONS=1 (`npm run lesson -- N --solution`) the worked solution.
 */
export const SOLUTIONS = process.env.LESSON_SOLUTIONS === '1';

export async function loadExercise<T>(file: string): Promise<T> {
  const folder = SOLUTIONS ? '../solutions' : '../exercises';
  console.log(`checking ${SOLUTIONS ? 'the solution' : 'your answer'} in lessons/${folder.slice(3)}/${file}.ts`);
  return (await import(`${folder}/${file}.js`)) as T;
}
