import { expect, test } from './support/fixtures'
import { ModelsPage } from './pages/models-page'

// Browsing and searching the Hub (the stand-in of the global setup carries its catalogue, test/sim/hub/catalogue.json):
// what a newcomer sees on opening "Pull a model" and on typing what the placeholder suggests.
test.describe('Hub browse and search', () => {
  test('opening the dialog lists the most downloaded models; Trending reorders at once; Qwen3 and Llama are found', async ({ app }) => {
    const models = new ModelsPage(app)
    await models.open()
    await models.pullButton.click()
    await expect(models.dialog).toBeVisible()
    await expect(models.searchInput).toHaveValue('')

    // no query: the Hub's most downloaded, with their task, parameters and download size
    await expect(models.dialog.getByTestId('results-caption')).toHaveText("The Hub's most downloaded models")
    const rows = models.results.getByRole('row')
    await expect(rows).toHaveCount(21) // header + 20
    await expect(rows.nth(1)).toContainText('sentence-transformers/all-MiniLM-L6-v2')
    await expect(models.result('Qwen/Qwen3-0.6B')).toContainText('text-generation')
    await expect(models.result('meta-llama/Llama-3.1-8B-Instruct')).toContainText('Gated')
    await expect(models.result('meta-llama/Llama-3.1-8B-Instruct')).toContainText('8.0B')
    await expect(models.results).not.toContainText('No models match')

    // "Most downloaded" / "Trending" list again with the empty query
    await models.dialog.getByRole('button', { name: 'Trending' }).click()
    await expect(models.dialog.getByTestId('results-caption')).toHaveText("The Hub's trending models")
    await expect(rows.nth(1)).toContainText('openai/gpt-oss-20b')
    await models.dialog.getByRole('button', { name: 'Most downloaded' }).click()
    await expect(models.dialog.getByTestId('results-caption')).toHaveText("The Hub's most downloaded models")
    await expect(rows.nth(1)).toContainText('sentence-transformers/all-MiniLM-L6-v2')

    // the placeholder's suggestions find models
    await expect(models.searchInput).toHaveAttribute('placeholder', /Qwen3/)
    await models.searchInput.fill('Qwen3')
    await models.searchButton.click()
    await expect(models.dialog.getByTestId('results-caption')).toHaveText('Models matching “Qwen3”, most downloaded first')
    await expect(models.result('Qwen/Qwen3-8B')).toContainText('8.2B')
    await expect(models.result('Qwen/Qwen3-8B')).toContainText(/15\.\d GiB/) // the five shards + tokenizer
    await expect(models.result('Qwen/Qwen3-Embedding-0.6B')).toBeVisible()
    await expect(models.results).not.toContainText('meta-llama/')

    await models.searchInput.fill('Llama-3.1')
    await models.searchButton.click()
    await expect(models.result('meta-llama/Llama-3.1-8B-Instruct')).toBeVisible()

    await models.searchInput.fill('no-such-model-xyz')
    await models.searchButton.click()
    await expect(models.results).toContainText('No models match “no-such-model-xyz”')
  })
})
